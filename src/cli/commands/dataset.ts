/** animeseg dataset merge|check|preview: thin layers over src/data/{merge,check,preview}.ts. */
import { AnimesegError } from '../../errors.js';
import { enumOption, intOption, listOption, numberOption, parseCommandArgs, progressOption, requireExistingPaths, usageError } from '../args.js';
import type { SplitName } from '../../data/yaml.js';

export const usage = `Usage:
  animeseg dataset check DATA.yaml [--no-hash] [--no-open] [--max-examples N] [--json]
  animeseg dataset merge --out OUT(.yaml|DIR) A/data.yaml B/data.yaml ...
  animeseg dataset preview DATA.yaml --out sheet.png [--split train] [--count 16] [--seed 0] [--tile 320]
  animeseg dataset from-results RESULTS_DIR [--coco FILE.json] [--yolo DIR] [options]

check    validates a YOLO-seg set as Ultralytics will read it: label rows (numbers, coordinates in [0,1],
         >= 3 points, classes within names), images that open, images without labels, labels without
         images, duplicate image files (hash); prints a report, exit 1 when there are errors.
merge    writes one data.yaml listing the image folders of several sets (no files copied); class names must
         agree; prints images and instances per source and split.
preview  a contact sheet PNG of random images with their label polygons drawn.
from-results
         pseudo-labels from 'animeseg segment' results (the NAME.json files in RESULTS_DIR): a COCO instances
         JSON (--coco) and/or a YOLO-seg set (--yolo DIR: images/SPLIT linked from the source images,
         labels/SPLIT, data.yaml with val = train). Options:
           --min-score X    keep instances with score >= X (default 0)
           --min-area F     keep instances covering >= F of the image (0-1, default 0)
           --split NAME     split folder of the YOLO set (default train)
           --link MODE      hardlink (default; falls back to symlink, then copy) | symlink | copy
           --names LIST     names for the kept classes, e.g. character (default: the results' class names)
           --keep-empty     export images without kept instances as background images (default: left out)`;

const options = {
  out: { type: 'string', short: 'o' },
  split: { type: 'string' },
  count: { type: 'string', short: 'n' },
  seed: { type: 'string' },
  tile: { type: 'string' },
  'no-hash': { type: 'boolean' },
  'no-open': { type: 'boolean' },
  'max-examples': { type: 'string' },
  json: { type: 'boolean' },
  progress: { type: 'string' },
  coco: { type: 'string' },
  yolo: { type: 'string' },
  'min-score': { type: 'string' },
  'min-area': { type: 'string' },
  link: { type: 'string' },
  names: { type: 'string' },
  'keep-empty': { type: 'boolean' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values: v, positionals } = parseCommandArgs(`dataset ${sub ?? ''}`.trim(), rest, options, true);
  if (sub === 'check') {
    if (positionals.length !== 1) throw new AnimesegError('BAD_OPTION', 'dataset check takes one data.yaml');
    const checkOpts = {
      hash: !v['no-hash'],
      openImages: !v['no-open'],
      maxExamples: intOption('max-examples', v['max-examples'], 20, 1),
      progress: v.json ? ('silent' as const) : progressOption(v.progress),
    };
    await requireExistingPaths(positionals);
    const { checkDataset, formatCheckReport } = await import('../../data/check.js');
    const r = await checkDataset(positionals[0], checkOpts);
    console.log(v.json ? JSON.stringify(r, null, 2) : formatCheckReport(positionals[0], r));
    return r.ok ? 0 : 1;
  }
  if (sub === 'merge') {
    if (!v.out) throw new AnimesegError('BAD_OPTION', 'dataset merge needs --out (a .yaml file or a folder)');
    await requireExistingPaths(positionals);
    const { mergeDatasets } = await import('../../data/merge.js');
    const r = await mergeDatasets(positionals, v.out);
    const fmt = (o: Partial<Record<SplitName, number>>) => Object.entries(o).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
    for (const s of r.sources) console.log(`${s.data}\n  images: ${fmt(s.images)}\n  instances: ${fmt(s.instances)}`);
    console.log(`merged → ${r.out}\n  images: ${fmt(r.totals.images)}\n  instances: ${fmt(r.totals.instances)}`);
    return 0;
  }
  if (sub === 'preview') {
    if (positionals.length !== 1 || !v.out) throw new AnimesegError('BAD_OPTION', 'dataset preview takes one data.yaml and --out sheet.png');
    const split: SplitName = enumOption('split', v.split, ['train', 'val', 'test'], 'train');
    const sizes = { count: intOption('count', v.count, 16, 1, 400), seed: intOption('seed', v.seed, 0, 0), tile: intOption('tile', v.tile, 320, 32, 2048) };
    await requireExistingPaths(positionals);
    const { previewDataset } = await import('../../data/preview.js');
    const r = await previewDataset({ data: positionals[0], out: v.out, split, ...sizes });
    console.log(`preview of ${r.images.length} images → ${r.out}`);
    return 0;
  }
  if (sub === 'from-results') {
    if (positionals.length !== 1) throw usageError('dataset from-results takes one folder of segment results');
    if (!v.coco && !v.yolo) throw usageError('nothing to write: give --coco FILE.json and/or --yolo DIR');
    const opts = {
      results: positionals[0],
      coco: v.coco,
      yolo: v.yolo,
      minScore: numberOption('min-score', v['min-score'], 0, 0, 1),
      minArea: numberOption('min-area', v['min-area'], 0, 0, 1),
      split: v.split ?? 'train',
      link: enumOption('link', v.link, ['hardlink', 'symlink', 'copy'], 'hardlink'),
      names: listOption('names', v.names, 'character'),
      keepEmpty: v['keep-empty'] ?? false,
    };
    if (!/^[\w.-]+$/.test(opts.split)) throw usageError(`--split must be a folder name like train, got '${opts.split}'`);
    await requireExistingPaths([opts.results]);
    const { datasetFromResults } = await import('../../data/from-results.js');
    const r = await datasetFromResults(opts);
    if (v.json) console.log(JSON.stringify(r, null, 2));
    else {
      const d = r.dropped;
      console.log(
        `from-results: ${r.images} image(s), ${r.instances} instance(s) from ${r.resultFiles} result file(s); classes: ${r.classes.join(', ') || '-'}\n` +
          `  dropped instances: score < min ${d.score}, area < min ${d.area}, no polygon ${d.noPolygon}\n` +
          `  left out: ${r.emptyImages.length} image(s) with no kept instance${r.emptyImages.length ? ` (${r.emptyImages.slice(0, 5).join(', ')}${r.emptyImages.length > 5 ? ', ...' : ''})` : ''}` +
          (r.missingImages.length ? `, ${r.missingImages.length} whose source image is missing (e.g. ${r.missingImages[0]})` : '') +
          (r.coco ? `\n  coco: ${r.coco}` : '') +
          (r.dataYaml ? `\n  yolo: ${r.dataYaml}` : ''),
      );
    }
    return r.missingImages.length > 0 ? 1 : 0;
  }
  throw usageError(sub ? `unknown dataset sub-command '${sub}'` : 'missing sub-command', 'one of: check, merge, preview, from-results');
}
