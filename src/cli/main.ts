/**
 * animeseg command-line entry. Each sub-command lives in its own module under ./commands and exports
 * `run(argv: string[]): Promise<number>` (the exit code) and `usage: string`. Modules load lazily so
 * `animeseg --help` stays fast and a command's dependencies never slow another down.
 */
import { describeError, isAnimesegError } from '../errors.js';

interface CommandModule {
  run(argv: string[]): Promise<number>;
  usage: string;
  /** Commands with sub-commands (dataset, models, queue): each one's own table, for `CMD SUB --help`. */
  commands?: Record<string, { usage: string }>;
}

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  segment: { summary: 'cut characters out of images (files, folders, globs, or - for stdin)', load: () => import('./commands/segment.js') },
  models: { summary: 'list | pull NAME | path NAME: the model manifest and cache', load: () => import('./commands/models.js') },
  synth: { summary: 'synthesize a YOLO-seg dataset from RGBA foregrounds and backgrounds', load: () => import('./commands/synth.js') },
  fg2mask: { summary: 'write binary masks from the alpha of RGBA foregrounds', load: () => import('./commands/fg2mask.js') },
  coco2yolo: { summary: 'convert COCO instance annotations to YOLO-seg labels', load: () => import('./commands/coco2yolo.js') },
  dataset: { summary: 'merge | check | preview YOLO-seg datasets; from-results; curate training sets', load: () => import('./commands/dataset.js') },
  eval: { summary: 'Ultralytics-exact box/mask metrics plus refined-mask quality', load: () => import('./commands/eval.js') },
  train: { summary: 'train a YOLOv8-seg model through Ultralytics, export, evaluate, register', load: () => import('./commands/train.js') },
  export: { summary: 'export Ultralytics weights (.pt) to ONNX', load: () => import('./commands/export.js') },
  queue: { summary: 'add | status | retry-failed | drain: scale-out runs on a BullMQ/Redis queue', load: () => import('./commands/queue.js') },
  worker: { summary: 'segment queued images (many machines, one Redis, a shared folder)', load: () => import('./commands/worker.js') },
  serve: { summary: 'HTTP service and web page', load: () => import('./commands/serve.js') },
};

function mainUsage(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  const lines = Object.entries(commands).map(([k, v]) => `  ${k.padEnd(width)}  ${v.summary}`);
  return `animeseg: find anime characters and cut them out\n\nUsage: animeseg <command> [options]\n       animeseg --version | -V\n\nCommands:\n${lines.join('\n')}\n\nRun 'animeseg <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(mainUsage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === '-v') {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    console.log(pkg.version);
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`animeseg: unknown command '${name}'\n\n${mainUsage()}`);
    return 2;
  }
  const mod = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    // 'dataset check --help': that sub-command's options only; 'dataset --help': all of them.
    const sub = rest.find((a) => !a.startsWith('-'));
    console.log((sub !== undefined && mod.commands?.[sub]?.usage) || mod.usage);
    return 0;
  }
  try {
    return await mod.run(rest);
  } catch (e) {
    // Usage errors from any command (src/cli/args.ts readers, parseArgs, checks): one place, exit 2.
    if (isAnimesegError(e) && e.code === 'BAD_OPTION') {
      const sub = name === 'dataset' || name === 'models' ? `${name}${rest[0] && !rest[0].startsWith('-') ? ` ${rest[0]}` : ''}` : name;
      console.error(`animeseg ${sub}: ${describeError(e)}`);
      if (!e.hint?.includes('--help')) console.error(`Run 'animeseg ${name} --help' for the options.`);
      return 2;
    }
    throw e;
  }
}

/**
 * A reader that stops early (`animeseg models list | head -c 20`) closes the pipe: the next write fails
 * with EPIPE. Like `yes | head` this is how such a pipeline ends, not a fault: exit at once, quietly,
 * with status 0 (the reader has what it wanted; nothing is left to tell it).
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
endQuietlyOnClosedPipe(process.stdout);
endQuietlyOnClosedPipe(process.stderr);

// Run when executed (bin/animeseg.js imports this module).
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Expected user errors: one clear message. Anything else is a bug: keep the stack for the report.
    if (isAnimesegError(e)) console.error(`animeseg: ${describeError(e)}`);
    else console.error('animeseg: internal error (please report):', e);
    process.exitCode = isAnimesegError(e) ? 1 : 70;
  },
);
