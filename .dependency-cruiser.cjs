/**
 * The layer rules of src/ (the table in docs/ARCHITECTURE.md is this list): a module may import its own
 * layer and the layers below it, never one above, and there are no import cycles. `npm run lint:deps`
 * checks them; .ci/run runs it. Type-only imports count too: an upward type import is still a cycle in
 * what a reader has to understand.
 *
 * To add a layer, put it at its place in LAYERS; folders on the same row may not import each other.
 */
const LAYERS = [
  ['errors'], //                 errors.ts: AnimesegError, no project imports
  ['util'], //                   atomic writes, progress, worker boot, numeric helpers
  ['mask'], //                   masks, RLE, polygons, morphology
  ['image'], //                  decode, resize, encode, overlays (uses mask types)
  ['contracts'], //              Instance, Refiner, SegmentProposer: what the stages pass each other
  ['models'], //                 onnx, resolver, yolo, sam
  ['refine'], //                 none | regions | vote | box, soft edges
  ['pipeline'], //               createSegmenter, outputs; pipeline/run/: the run writer (rule below)
  ['data', 'browser', 'curate'], // datasets; the in-browser entry; dataset curation (training sets)
  ['eval'], //                   uses data (dataset layout)
  ['train'], //                  uses data and eval
  ['queue'], //                  scale-out workers over the pipeline
  ['server'], //                 HTTP service
  ['cli', 'index'], //           commands; the public barrel
];

/** The path regex of one layer folder or top-level module (src/errors.ts, src/contracts.ts, src/index.ts). */
const pathOf = (name) => `^src/${name}(/|\\.ts$)`;

const forbidden = [
  {
    name: 'no-circular',
    severity: 'error',
    comment: 'Import cycles make the layers meaningless and order-dependent at start-up.',
    from: { path: '^src/' },
    to: { circular: true },
  },
  {
    name: 'segment-not-to-run',
    severity: 'error',
    comment:
      'Inside pipeline/, segmenting one image (pipeline/*.ts) never depends on writing a run (pipeline/run/: ' +
      'batch, manifest, resume, output folder, watch): the run writer sits on top of the segmenter.',
    from: { path: '^src/pipeline/[^/]+\\.ts$' },
    to: { path: '^src/pipeline/run/' },
  },
  {
    name: 'src-not-to-test',
    severity: 'error',
    comment: 'Shipped code must not import tests or test fixtures.',
    from: { path: '^src/' },
    to: { path: '^(test|bench)/' },
  },
];

LAYERS.forEach((row, i) => {
  const above = LAYERS.slice(i + 1).flat();
  for (const name of row) {
    const siblings = row.filter((n) => n !== name);
    const targets = [...above, ...siblings];
    if (targets.length === 0) continue;
    forbidden.push({
      name: `no-upward-from-${name}`,
      severity: 'error',
      comment: `src/${name} is on layer ${i}; it may import only layers 0..${i} (not ${targets.join(', ')}).`,
      from: { path: pathOf(name) },
      to: { path: targets.map(pathOf) },
    });
  }
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // src/util/worker-boot.mjs is loaded by path at run time, not imported.
    exclude: { path: '^src/util/worker-boot\\.mjs$' },
  },
};
