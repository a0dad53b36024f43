/** animeseg coco2yolo: a thin layer over coco2yolo() (src/data/coco2yolo.ts). */
import { PROGRESS_OPTION, requireExistingPaths } from '../args.js';
import { defineCommand } from '../schema-args.js';
import type { LinkMode } from '../../data/coco2yolo.js';

const LINK_MODES = ['hardlink', 'symlink', 'copy', 'none'] as const satisfies readonly LinkMode[];

export const command = defineCommand({
  name: 'coco2yolo',
  head: `Usage: animeseg coco2yolo --annotations instances_train2017.json --images DIR --out DIR [options]

Converts COCO instance annotations to Ultralytics YOLO-seg labels exactly as Ultralytics' convert_coco
(use_segments, cls91to80): crowd skipped, boxes with w or h <= 0 skipped, multi-part polygons joined by
merge_multi_segment, duplicate rows dropped, numbers printed with %g. The annotation file is streamed
(memory stays bounded on the 448 MB train2017 file). Writes OUT/labels/SPLIT, links OUT/images/SPLIT (only
images with kept annotations) and OUT/data.yaml last; a failed run leaves no labels or data.yaml behind.
Convert train and val with two runs into the same --out.`,
  options: [
    { key: 'annotations', short: 'a', type: 'string', required: true, metavar: 'FILE', help: 'COCO instances JSON' },
    { key: 'images', type: 'string', metavar: 'DIR', help: 'folder with the images named by file_name' },
    { key: 'out', short: 'o', type: 'string', required: true, metavar: 'DIR', help: 'output dataset folder' },
    {
      key: 'classes',
      type: 'list',
      example: 'person,cat',
      metavar: 'LIST',
      help: 'comma-separated class names or 0-79 ids to keep, renumbered 0.. (e.g. person);\ndefault: all 80 classes',
    },
    {
      key: 'names',
      type: 'list',
      example: 'character',
      metavar: 'LIST',
      help: "names to write for the kept classes, e.g. --classes person --names character\n(so the set merges with synth's sets)",
    },
    { key: 'split', type: 'string', metavar: 'NAME', defaultHelp: 'file stem without instances_, e.g. train2017', help: 'split folder name' },
    { key: 'link', type: 'enum', choices: LINK_MODES, default: 'hardlink', metavar: 'MODE', help: `${LINK_MODES.join(' | ')}; hardlink falls back to symlink, then copy` },
    { key: 'force', type: 'boolean', help: 'convert a split again that was converted before' },
    PROGRESS_OPTION,
  ],
});
export const usage = command.usage;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = command.parse(argv);
  await requireExistingPaths([v.annotations, ...(v.images ? [v.images] : [])]);
  const { coco2yolo } = await import('../../data/coco2yolo.js');
  const s = await coco2yolo({
    annotations: v.annotations,
    images: v.images,
    out: v.out,
    classes: v.classes,
    names: v.names,
    split: v.split,
    link: v.link,
    force: v.force,
    progress: v.progress,
  });
  const k = s.skipped;
  console.log(
    `coco2yolo ${s.split}: ${s.labelFiles} label files, ${s.rows} rows from ${s.annotations} annotations on ${s.images} images ` +
      `(${s.seconds.toFixed(1)} s, peak RSS ${s.peakRssMB} MB)\n` +
      `  skipped: crowd ${k.crowd}, w/h <= 0 ${k.degenerateBox}, other classes ${k.otherClass}, no 80-class id ${k.unmappedCategory}, ` +
      `duplicates ${k.duplicate}, no polygon ${k.noPolygon}, unknown image ${k.noImage}\n` +
      `  images: ${s.linked.hardlink} hard links, ${s.linked.symlink} symlinks, ${s.linked.copy} copies` +
      (s.missingImages.length ? `; ${s.missingImages.length} missing (labels left out), e.g. ${s.missingImages.slice(0, 3).join(', ')}` : '') +
      `\n  data: ${s.dataYaml}`,
  );
  return s.missingImages.length > 0 ? 1 : 0;
}
