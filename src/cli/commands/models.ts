/**
 * `animeseg models list | pull NAME [--force] [--no-verify] [--max-size SIZE] | path NAME | info NAME`
 * A thin layer over src/models/resolver. Licences are always shown: every model here carries its own.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { usageError } from '../args.js';
import { defineCommand, optionLines, type Command } from '../schema-args.js';
import type { OptionSpec } from '../../util/option-spec.js';
import {
  cachedPath,
  DEFAULT_MODEL,
  downloadEntry,
  findEntry,
  findLocal,
  loadManifest,
  packageRoot,
  resolveModel,
  resolvePair,
  userManifestPath,
  type ManifestEntry,
} from '../../models/resolver/index.js';
import { pullWeightsEntry } from '../../train/index.js';

const JSON_OPTION = { key: 'json', type: 'boolean', help: 'list/info: machine-readable output' } as const satisfies OptionSpec;

/** Each sub-command's options; one declared once even where two sub-commands take it (--json). */
const TABLES = {
  list: [JSON_OPTION],
  pull: [
    { key: 'force', type: 'boolean', help: 'pull: download again even if a copy is found' },
    { key: 'no-verify', type: 'boolean', help: 'pull: allow a download that has no published checksum' },
    { key: 'max-size', type: 'string', metavar: 'SIZE', help: 'pull: largest download accepted when the size is not published (default 1G; e.g. 500M, 2G)' },
  ],
  path: [{ key: 'download', type: 'boolean', help: 'path: download when not found locally' }],
  info: [JSON_OPTION],
} as const satisfies Record<string, readonly OptionSpec[]>;

type SubName = keyof typeof TABLES;
const define = <K extends SubName>(name: K): Command<(typeof TABLES)[K]> =>
  defineCommand({ name: `models ${name}`, head: `Usage: animeseg models ${name}`, options: TABLES[name], positionals: true });
export const commands = { list: define('list'), pull: define('pull'), path: define('path'), info: define('info') };

export const usage = `Usage: animeseg models <list | pull NAME | path NAME | info NAME> [options]

  list            every known model: name, kind, size, licence, where it is found (or 'no')
  pull NAME       download NAME (or an encoder/decoder pair name, e.g. sam-vit-l) into the cache;
                  a model published as Ultralytics weights (.pt) is exported to ONNX (needs Ultralytics)
  path NAME       print the file NAME resolves to (a pair name prints encoder and decoder;
                  no download unless --download)
  info NAME       everything the manifest says about NAME, then its model card when it has one

Options:
${optionLines([...new Set(Object.values(TABLES).flat())])}

Search order: an explicit path, the models shipped in the package (models/), $ANIMESEG_MODELS (folders separated by ':'), the cache
($ANIMESEG_CACHE or ~/.cache/animeseg), then a verified download (never with ANIMESEG_OFFLINE=1: then no command, pull --force included, makes any network call). Models you register with
'animeseg train --register' live in ${'$'}ANIMESEG_CONFIG_DIR/models.json (default ~/.config/animeseg).
The default detection model is '${DEFAULT_MODEL}'.`;

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return 'unknown';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

/** Entries to act on for a name: the entry itself, or both members when the name is a pair's. */
function entriesFor(all: ManifestEntry[], name: string): ManifestEntry[] {
  const one = findEntry(all, name);
  if (one) return [one];
  const pair = all.filter((e) => e.pair?.name === name);
  if (pair.length) return pair;
  throw new AnimesegError('MODEL_NOT_FOUND', `no model named '${name}'`, {
    hint: `run 'animeseg models list' to see the known names`,
  });
}

async function list(json: boolean): Promise<number> {
  const all = await loadManifest();
  const rows: string[][] = [['NAME', 'KIND', 'SIZE', 'LICENCE', 'FOUND']];
  const out: unknown[] = [];
  for (const e of all) {
    const local = await findLocal(e.name, e);
    const found = local ? `${local.from}: ${local.path}` : 'no';
    rows.push([e.name + (e.name === DEFAULT_MODEL ? ' (default)' : ''), e.kind, formatBytes(e.size), e.licence, found]);
    out.push({ ...e, found: local?.path ?? null });
  }
  if (json) console.log(JSON.stringify(out, null, 2));
  else {
    console.log(table(rows));
    console.log(`\nUser models: ${userManifestPath()}. Download one with 'animeseg models pull NAME'.`);
  }
  return 0;
}

/** '500M', '2G', '1.5GiB', '123456' (bytes; K/M/G are powers of 1024) → bytes. */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const bytes = m ? Math.floor(Number(m[1]) * 1024 ** 'bkmgt'.indexOf(m[2].toLowerCase() || 'b')) : NaN;
  if (!(bytes > 0)) throw usageError(`--max-size must be a size such as 500M, 2G or a byte count, got '${text}'`);
  return bytes;
}

async function pull(name: string, force: boolean, noVerify: boolean, maxUnknownSize?: number): Promise<number> {
  const all = await loadManifest();
  for (const e of entriesFor(all, name)) {
    // Licence first: the user decides with it in front of them (AGPL weights carry obligations).
    console.error(`${e.name}: licence ${e.licence}; ${formatBytes(e.size)}; ${e.url ?? 'local only'}`);
    if (!e.sha256 && !e.md5) console.error(`${e.name}: WARNING no published checksum for this file`);
    if (e.export) {
      // Ultralytics weights: downloaded, then exported to the ONNX that lookups by name find.
      const r = await pullWeightsEntry(e, { force, noVerify, onLine: (l) => console.error(`  ${l}`) });
      if (r.action === 'found') console.error(`${e.name}: already present`);
      else console.error(`${e.name}: exported ${r.weights} to ONNX (${r.export!.command})`);
      console.log(r.path);
      continue;
    }
    if (force) {
      // The verified new copy replaces the cached one atomically; a failed download leaves the old one.
      console.log((await downloadEntry(e, { noVerify, maxUnknownSize })).path);
      continue;
    }
    const r = await resolveModel(e.name, { entries: all, noVerify, maxUnknownSize, download: true });
    if (r.from !== 'download') console.error(`${e.name}: already present (${r.from})`);
    console.log(r.path);
  }
  return 0;
}

async function path(name: string, download: boolean): Promise<number> {
  const all = await loadManifest();
  if (!findEntry(all, name) && all.some((e) => e.pair?.name === name)) {
    // A pair name prints both files: encoder first, then decoder.
    const pair = await resolvePair(name, { entries: all, download });
    console.log(pair.encoder.path);
    console.log(pair.decoder.path);
    return 0;
  }
  console.log((await resolveModel(name, { entries: all, download })).path);
  return 0;
}

/** A built-in entry's model card (Markdown), or undefined when it has none. */
async function cardText(e: ManifestEntry): Promise<string | undefined> {
  if (!e.card || e.origin === 'user') return undefined;
  const file = join(packageRoot(), e.card);
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new AnimesegError('IO', `the model card of '${e.name}' cannot be read: ${(err as Error).message}`, { file, hint: 'reinstall animeseg' });
  }
}

async function info(name: string, json: boolean): Promise<number> {
  const all = await loadManifest();
  const entries = entriesFor(all, name);
  for (const e of entries) {
    const local = await findLocal(e.name, e);
    if (json) {
      console.log(JSON.stringify({ ...e, found: local?.path ?? null, cachePath: cachedPath(e), ...(e.card && { card_text: await cardText(e) }) }, null, 2));
      continue;
    }
    const lines: [string, string | undefined][] = [
      ['name', e.name],
      ['kind', e.kind],
      ['description', e.description],
      ['licence', e.licence],
      ['file', e.file],
      ['size', e.size !== undefined ? `${e.size} bytes (${formatBytes(e.size)})` : 'unknown'],
      ['url', e.url],
      ['sha256', e.sha256],
      ['md5', e.md5],
      ['checksum', e.sha256 || e.md5 ? undefined : 'NONE published: pull needs --no-verify'],
      ['export', e.export ? `the URL serves Ultralytics weights, cached as ${e.export.weights}; 'models pull' exports them to ${e.file} at imgsz ${e.export.imgsz} (needs Ultralytics)` : undefined],
      ['pair', e.pair ? `${e.pair.name} (encoder ${e.pair.encoder}, decoder ${e.pair.decoder})` : undefined],
      ['io', e.io ? JSON.stringify(e.io) : undefined],
      ['recommended', e.recommended ? Object.entries(e.recommended).map(([k, v]) => `${k} ${v}`).join(', ') : undefined],
      ['source', e.source],
      ['card', e.card && e.origin !== 'user' ? join(packageRoot(), e.card) : undefined],
      ['registered path', e.path],
      ['from', e.origin === 'user' ? `user manifest ${userManifestPath()}` : 'built-in manifest'],
      ['found', local ? `${local.from}: ${local.path}` : `no (would be cached at ${cachedPath(e)})`],
    ];
    console.log(
      lines
        .filter((l): l is [string, string] => l[1] !== undefined)
        .map(([k, v]) => `${k.padEnd(16)}${v}`)
        .join('\n'),
    );
    const card = await cardText(e);
    if (card) console.log(`\n${card.trimEnd()}`);
    if (entries.length > 1) console.log('');
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  // Every option is a switch, so the first word that is not one names the sub-command (models --json list).
  const at = argv.findIndex((a) => !a.startsWith('-'));
  const sub = at < 0 ? 'list' : argv[at];
  const rest = at < 0 ? argv : [...argv.slice(0, at), ...argv.slice(at + 1)];
  /** The sub-command's values, and its NAME argument on demand. */
  const parse = <T extends readonly OptionSpec[]>(command: Command<T>) => {
    const { values, positionals } = command.parse(rest);
    const [name, ...extra] = positionals;
    if (extra.length) throw new AnimesegError('BAD_OPTION', `models: unexpected argument '${extra[0]}'`, { hint: usage.split('\n')[0] });
    const needName = (): string => {
      if (!name) throw new AnimesegError('BAD_OPTION', `models ${sub}: a model NAME is required`, { hint: `run 'animeseg models list' for names` });
      return name;
    };
    return { values, needName };
  };
  switch (sub) {
    case 'list':
      return list(parse(commands.list).values.json);
    case 'pull': {
      const { values: v, needName } = parse(commands.pull);
      return pull(needName(), v.force, v['no-verify'], v['max-size'] === undefined ? undefined : parseByteSize(v['max-size']));
    }
    case 'path': {
      const { values: v, needName } = parse(commands.path);
      return path(needName(), v.download);
    }
    case 'info': {
      const { values: v, needName } = parse(commands.info);
      return info(needName(), v.json);
    }
    default:
      throw new AnimesegError('BAD_OPTION', `models: unknown sub-command '${sub}'`, { hint: `one of: ${Object.keys(commands).join(', ')}` });
  }
}
