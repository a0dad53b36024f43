/** animeseg coco2yolo: a thin layer over coco2yolo() (src/data/coco2yolo.ts). */
import { AnimesegError } from '../../errors.js';
import { enumOption, listOption, parseCommandArgs, progressOption, requireExistingPaths } from '../args.js';
import type { LinkMode } from '../../data/coco2yolo.js';

export const usage = `Usage: animeseg coco2yolo --annotations instances_train2017.json --images DIR --out DIR [options]

Converts COCO instance annotations to Ultralytics YOLO-seg labels exactly as Ultralytics' convert_coco
(use_segments, cls91to80): crowd skipped, boxes with w or h <= 0 skipped, multi-part polygons joined by
merge_multi_segment, duplicate rows dropped, numbers printed with %g. The annotation file is streamed
(memory stays bounded on the 448 MB train2017 file). Writes OUT/labels/SPLIT, links OUT/images/SPLIT (only
images with kept annotations) and OUT/data.yaml last; a failed run leaves no labels or data.yaml behind.
Convert train and val with two runs into the same --out.

Options:
  --annotations FILE   COCO instances JSON
  --images DIR         folder with the images named by file_name
  --out DIR            output dataset folder
  --classes LIST       comma-separated class names or 0-79 ids to keep, renumbered 0.. (e.g. person);
                       default: all 80 classes
  --names LIST         names to write for the kept classes, e.g. --classes person --names character
                       (so the set merges with synth's sets)
  --split NAME         split folder name (default: file stem without instances_, e.g. train2017)
  --link MODE          hardlink (default; falls back to symlink, then copy) | symlink | copy | none
  --force              convert a split again that was converted before
  --progress MODE      auto | bar | plain | silent`;

const options = {
  annotations: { type: 'string', short: 'a' },
  images: { type: 'string' },
  out: { type: 'string', short: 'o' },
  classes: { type: 'string' },
  names: { type: 'string' },
  split: { type: 'string' },
  link: { type: 'string' },
  force: { type: 'boolean' },
  progress: { type: 'string' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs('coco2yolo', argv, options, false);
  if (!v.annotations || !v.out) throw new AnimesegError('BAD_OPTION', '--annotations and --out are required', { hint: "run 'animeseg coco2yolo --help'" });
  const link: LinkMode = enumOption('link', v.link, ['hardlink', 'symlink', 'copy', 'none'], 'hardlink');
  const progress = progressOption(v.progress);
  await requireExistingPaths([v.annotations, ...(v.images ? [v.images] : [])]);
  const { coco2yolo } = await import('../../data/coco2yolo.js');
  const s = await coco2yolo({
    annotations: v.annotations,
    images: v.images,
    out: v.out,
    classes: listOption('classes', v.classes, 'person,cat'),
    names: listOption('names', v.names, 'character'),
    split: v.split,
    link,
    force: v.force,
    progress,
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
