/**
 * Do two `segment` output folders hold the same results? For checking that a speed change left outputs
 * alone: every image file is compared by its decoded pixels (sharp, raw, with its size and channel count),
 * (and by the file's channel count and colour space), every NAME.json by its content without `timings_ms` (which differ run to run), and byte sizes are summed
 * per kind so an encoder change shows its size cost. manifest.jsonl (timestamps) is skipped.
 *
 *   npx tsx bench/same-outputs.ts BEFORE_DIR AFTER_DIR
 *
 * Exit status 0 when everything matches, 1 otherwise (each difference is listed).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: npx tsx bench/same-outputs.ts BEFORE_DIR AFTER_DIR');
  process.exit(2);
}

const listing = async (d: string): Promise<string[]> => (await readdir(d)).filter((f) => f !== 'manifest.jsonl' && !f.startsWith('.')).sort();

/** Decoded pixels, keyed by size and by the file's own channel count and colour space (a gray mask stays gray). */
async function pixels(p: string): Promise<{ data: Buffer; key: string }> {
  const meta = await sharp(p).metadata();
  const { data, info } = await sharp(p).raw().toBuffer({ resolveWithObject: true });
  return { data, key: `${info.width}x${info.height}, ${meta.channels} channel(s) ${meta.space}` };
}

function withoutTimings(text: string): string {
  const j = JSON.parse(text);
  delete j.timings_ms;
  return JSON.stringify(j);
}

/** Kind of an output by its name: mask, json, cutout... (the part after the image name). */
const kindOf = (f: string): string => f.replace(/^[^.]+\./, '').replace(/inst\d+/, 'instNN');

const [la, lb] = await Promise.all([listing(a), listing(b)]);
const problems: string[] = [];
for (const f of la) if (!lb.includes(f)) problems.push(`only in ${a}: ${f}`);
for (const f of lb) if (!la.includes(f)) problems.push(`only in ${b}: ${f}`);
const sizes: Record<string, [number, number]> = {};
let compared = 0;
for (const f of la.filter((x) => lb.includes(x))) {
  const [pa, pb] = [join(a, f), join(b, f)];
  const k = kindOf(f);
  const s = (sizes[k] ??= [0, 0]);
  s[0] += (await stat(pa)).size;
  s[1] += (await stat(pb)).size;
  compared++;
  if (f.endsWith('.json')) {
    if (withoutTimings(await readFile(pa, 'utf8')) !== withoutTimings(await readFile(pb, 'utf8'))) problems.push(`JSON differs: ${f}`);
  } else if (/\.(png|webp|jpg)$/.test(f)) {
    const [x, y] = await Promise.all([pixels(pa), pixels(pb)]);
    if (x.key !== y.key) problems.push(`image shape differs: ${f} (${x.key} vs ${y.key})`);
    else if (!x.data.equals(y.data)) problems.push(`pixels differ: ${f}`);
  } else if (!(await readFile(pa)).equals(await readFile(pb))) problems.push(`bytes differ: ${f}`);
}
console.log(`${compared} files compared (${a} vs ${b})`);
console.log('bytes by kind (before -> after, change):');
for (const [k, [x, y]] of Object.entries(sizes).sort()) {
  console.log(`  ${k.padEnd(16)} ${x.toString().padStart(11)} -> ${y.toString().padStart(11)}  ${(((y - x) / Math.max(1, x)) * 100).toFixed(2).padStart(7)}%`);
}
if (problems.length) {
  for (const p of problems) console.log(p);
  console.log(`${problems.length} difference(s)`);
  process.exit(1);
}
console.log('identical: same files, same decoded pixels, same JSON (timings_ms aside)');
