/** animeseg dataset merge|check|preview: thin layers over src/data/{merge,check,preview}.ts. */
import { AnimesegError } from '../../errors.js';
import { enumOption, intOption, parseCommandArgs, progressOption } from '../args.js';
import type { SplitName } from '../../data/yaml.js';

export const usage = `Usage:
  animeseg dataset check DATA.yaml [--no-hash] [--no-open] [--max-examples N] [--json]
  animeseg dataset merge --out OUT(.yaml|DIR) A/data.yaml B/data.yaml ...
  animeseg dataset preview DATA.yaml --out sheet.png [--split train] [--count 16] [--seed 0] [--tile 320]

check    validates a YOLO-seg set as Ultralytics will read it: label rows (numbers, coordinates in [0,1],
         >= 3 points, classes within names), images that open, images without labels, labels without
         images, duplicate image files (hash); prints a report, exit 1 when there are errors.
merge    writes one data.yaml listing the image folders of several sets (no files copied); class names must
         agree; prints images and instances per source and split.
preview  a contact sheet PNG of random images with their label polygons drawn.`;

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
} as const;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values: v, positionals } = parseCommandArgs(`dataset ${sub ?? ''}`.trim(), rest, options, true);
  if (sub === 'check') {
    if (positionals.length !== 1) throw new AnimesegError('BAD_OPTION', 'dataset check takes one data.yaml');
    const { checkDataset, formatCheckReport } = await import('../../data/check.js');
    const r = await checkDataset(positionals[0], {
      hash: !v['no-hash'],
      openImages: !v['no-open'],
      maxExamples: intOption('max-examples', v['max-examples'], 20, 1),
      progress: v.json ? 'silent' : progressOption(v.progress),
    });
    console.log(v.json ? JSON.stringify(r, null, 2) : formatCheckReport(positionals[0], r));
    return r.ok ? 0 : 1;
  }
  if (sub === 'merge') {
    if (!v.out) throw new AnimesegError('BAD_OPTION', 'dataset merge needs --out (a .yaml file or a folder)');
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
    const { previewDataset } = await import('../../data/preview.js');
    const r = await previewDataset({
      data: positionals[0],
      out: v.out,
      split,
      count: intOption('count', v.count, 16, 1, 400),
      seed: intOption('seed', v.seed, 0, 0),
      tile: intOption('tile', v.tile, 320, 32, 2048),
    });
    console.log(`preview of ${r.images.length} images → ${r.out}`);
    return 0;
  }
  console.error(usage);
  return 2;
}
