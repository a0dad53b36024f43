/** animeseg fg2mask: a thin layer over fg2mask() (src/data/fg2mask.ts). */
import { PROGRESS_OPTION, requireExistingPaths } from '../args.js';
import { defineCommand } from '../schema-args.js';

export const command = defineCommand({
  name: 'fg2mask',
  head: `Usage: animeseg fg2mask --fg DIR --out DIR [options]

Writes one binary mask PNG (0 = background, 255 = character) per RGBA foreground, from its alpha, at the
same relative path with a .png extension. Files without a usable alpha are reported and skipped (exit 1).
Existing masks are kept, so an interrupted run resumes.`,
  options: [
    { key: 'fg', type: 'string', required: true, metavar: 'DIR', help: 'RGBA cut-outs' },
    { key: 'out', short: 'o', type: 'string', required: true, metavar: 'DIR', help: 'mask folder' },
    { key: 'threshold', type: 'integer', default: 128, min: 1, max: 255, metavar: 'N', help: 'alpha at or above N (1-255) is foreground' },
    { key: 'overwrite', type: 'boolean', help: 'rewrite masks that exist' },
    PROGRESS_OPTION,
  ],
});
export const usage = command.usage;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = command.parse(argv);
  await requireExistingPaths([v.fg]);
  const { fg2mask } = await import('../../data/fg2mask.js');
  const s = await fg2mask({
    fg: v.fg,
    out: v.out,
    threshold: v.threshold,
    overwrite: v.overwrite,
    progress: v.progress,
  });
  console.log(`fg2mask: ${s.written} masks written, ${s.existing} already there, ${s.failed.length} skipped`);
  return s.failed.length > 0 ? 1 : 0;
}
