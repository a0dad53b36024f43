/** animeseg dataset merge|check|preview|from-results: thin layers over src/data/{merge,check,preview,from-results}.ts. */
import { invalidParameterError } from '../../errors.js';
import { PROGRESS_OPTION, requireExistingPaths, usageError } from '../args.js';
import { defineCommand, optionLines, type Command } from '../schema-args.js';
import { SPLITS, type SplitName } from '../../data/yaml.js';
import type { OptionSpec } from '../../util/option-spec.js';
import * as curate from './dataset-curate.js';

const JSON_OPTION = { key: 'json', type: 'boolean', help: 'print the result as JSON instead of the text report' } as const satisfies OptionSpec;

/** Each sub-command once: its synopsis, what it does (for the usage text) and its option table. */
const SUBCOMMANDS = {
  check: {
    synopsis: 'DATA.yaml [options]',
    about: `validates a YOLO-seg set as Ultralytics will read it: label rows (numbers, coordinates in [0,1],
>= 3 points, classes within names), images that open, images without labels, labels without
images, duplicate image files (hash); prints a report, exit 1 when there are errors.`,
    options: [
      { key: 'no-hash', type: 'boolean', help: 'do not hash the images (no duplicate-file check)' },
      { key: 'no-open', type: 'boolean', help: 'do not open the images (no check that they decode)' },
      { key: 'max-examples', type: 'integer', default: 20, min: 1, metavar: 'N', help: 'examples listed per kind of problem; the rest are counted' },
      { ...JSON_OPTION, help: `${JSON_OPTION.help} (no progress)` },
      PROGRESS_OPTION,
    ],
  },
  merge: {
    synopsis: '--out OUT(.yaml|DIR) A/data.yaml B/data.yaml ...',
    about: `writes one data.yaml listing the image folders of several sets (no files copied); class names must
agree; prints images and instances per source and split.`,
    options: [{ key: 'out', short: 'o', type: 'string', required: true, metavar: 'OUT', help: 'the merged data.yaml: a .yaml file, or a folder to write data.yaml in' }],
  },
  preview: {
    synopsis: 'DATA.yaml --out sheet.png [options]',
    about: 'a contact sheet PNG of random images with their label polygons drawn.',
    options: [
      { key: 'out', short: 'o', type: 'string', required: true, metavar: 'FILE', help: 'the contact sheet (PNG)' },
      { key: 'split', type: 'enum', choices: SPLITS, default: 'train', metavar: 'NAME', help: `split to draw from: ${SPLITS.join(' | ')}` },
      { key: 'count', short: 'n', type: 'integer', default: 16, min: 1, max: 400, metavar: 'N', help: 'images on the sheet' },
      { key: 'seed', type: 'integer', default: 0, min: 0, metavar: 'N', help: 'random seed; the same seed shows the same images' },
      { key: 'tile', type: 'integer', default: 320, min: 32, max: 2048, metavar: 'PX', help: 'tile side in pixels' },
    ],
  },
  'from-results': {
    synopsis: 'RESULTS_DIR [--coco FILE.json] [--yolo DIR] [options]',
    about: `pseudo-labels from 'animeseg segment' results (the NAME.json files in RESULTS_DIR): a COCO instances
JSON (--coco) and/or a YOLO-seg set (--yolo DIR: images/SPLIT linked from the source images,
labels/SPLIT, data.yaml with val = train).`,
    options: [
      { key: 'coco', type: 'string', metavar: 'FILE.json', help: 'write a COCO instances JSON' },
      { key: 'yolo', type: 'string', metavar: 'DIR', help: 'write a YOLO-seg set' },
      { key: 'min-score', type: 'number', default: 0, min: 0, max: 1, metavar: 'X', help: 'keep instances with score >= X' },
      { key: 'min-area', type: 'number', default: 0, min: 0, max: 1, metavar: 'F', help: 'keep instances covering >= F of the image, in [0, 1]' },
      // A folder name, checked after parsing (no pattern type in the table).
      { key: 'split', type: 'string', default: 'train', metavar: 'NAME', help: 'split folder of the YOLO set' },
      { key: 'link', type: 'enum', choices: ['hardlink', 'symlink', 'copy'], default: 'hardlink', metavar: 'MODE', help: 'hardlink (falls back to symlink, then copy) | symlink | copy' },
      { key: 'names', type: 'list', example: 'character', metavar: 'LIST', defaultHelp: "the results' class names", help: 'names for the kept classes, e.g. character' },
      { key: 'keep-empty', type: 'boolean', help: 'export images without kept instances as background images (default: left out)' },
      JSON_OPTION,
    ],
  },
  curate: { synopsis: curate.synopsis, about: curate.about, options: curate.options },
} as const satisfies Record<string, { synopsis: string; about: string; options: readonly OptionSpec[] }>;

type SubName = keyof typeof SUBCOMMANDS;
const NAMES = Object.keys(SUBCOMMANDS) as SubName[];
/** 'check    validates ...', continuation lines under the text (a long name gets a line of its own). */
const about = (name: string, text: string): string => {
  const lines = text.split('\n').map((l) => `${' '.repeat(9)}${l}`);
  return name.length < 8 ? `${name.padEnd(9)}${lines.join('\n').slice(9)}` : `${name}\n${lines.join('\n')}`;
};
const define = <K extends SubName>(name: K): Command<(typeof SUBCOMMANDS)[K]['options']> => {
  const s = SUBCOMMANDS[name];
  return defineCommand({ name: `dataset ${name}`, head: `Usage: animeseg dataset ${name} ${s.synopsis}\n\n${about(name, s.about)}`, options: s.options, positionals: true });
};
export const commands = { check: define('check'), merge: define('merge'), preview: define('preview'), 'from-results': define('from-results'), curate: curate.command };

export const usage = `Usage:
${NAMES.map((n) => `  animeseg dataset ${n} ${SUBCOMMANDS[n].synopsis}`).join('\n')}

${NAMES.map((n) => about(n, SUBCOMMANDS[n].about)).join('\n')}
${NAMES.map((n) => `\n${n} options:\n${optionLines(SUBCOMMANDS[n].options)}`).join('\n')}`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'check') {
    const { values: v, positionals } = commands.check.parse(rest);
    if (positionals.length !== 1) throw usageError('dataset check takes one data.yaml');
    const checkOpts = { hash: !v['no-hash'], openImages: !v['no-open'], maxExamples: v['max-examples'], progress: v.json ? ('silent' as const) : v.progress };
    await requireExistingPaths(positionals);
    const { checkDataset, formatCheckReport } = await import('../../data/check.js');
    const r = await checkDataset(positionals[0], checkOpts);
    console.log(v.json ? JSON.stringify(r, null, 2) : formatCheckReport(positionals[0], r));
    return r.ok ? 0 : 1;
  }
  if (sub === 'merge') {
    const { values: v, positionals } = commands.merge.parse(rest);
    await requireExistingPaths(positionals);
    const { mergeDatasets } = await import('../../data/merge.js');
    const r = await mergeDatasets(positionals, v.out);
    const fmt = (o: Partial<Record<SplitName, number>>) => Object.entries(o).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
    for (const s of r.sources) console.log(`${s.data}\n  images: ${fmt(s.images)}\n  instances: ${fmt(s.instances)}`);
    console.log(`merged → ${r.out}\n  images: ${fmt(r.totals.images)}\n  instances: ${fmt(r.totals.instances)}`);
    return 0;
  }
  if (sub === 'preview') {
    const { values: v, positionals } = commands.preview.parse(rest);
    if (positionals.length !== 1) throw usageError('dataset preview takes one data.yaml and --out sheet.png');
    await requireExistingPaths(positionals);
    const { previewDataset } = await import('../../data/preview.js');
    const r = await previewDataset({ data: positionals[0], out: v.out, split: v.split, count: v.count, seed: v.seed, tile: v.tile });
    console.log(`preview of ${r.images.length} images → ${r.out}`);
    return 0;
  }
  if (sub === 'from-results') {
    const { values: v, positionals } = commands['from-results'].parse(rest);
    if (positionals.length !== 1) throw usageError('dataset from-results takes one folder of segment results');
    if (!v.coco && !v.yolo) throw usageError('nothing to write: give --coco FILE.json and/or --yolo DIR');
    if (!/^[\w.-]+$/.test(v.split)) throw invalidParameterError('--split', 'a folder name like train', v.split);
    const opts = {
      results: positionals[0],
      coco: v.coco,
      yolo: v.yolo,
      minScore: v['min-score'],
      minArea: v['min-area'],
      split: v.split,
      link: v.link,
      names: v.names,
      keepEmpty: v['keep-empty'],
    };
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
  if (sub === 'curate') return curate.run(rest);
  throw usageError(sub ? `unknown dataset sub-command '${sub}'` : 'missing sub-command', `one of: ${NAMES.join(', ')}`);
}
