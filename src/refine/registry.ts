/**
 * The refiner registry: every refiner once, as its descriptor (descriptor.ts), in display order (CLI help,
 * GET /v1/refiners, the page). Adding a refiner: one file in refiners/ exporting its RefinerDescriptor, one
 * row here. Everything that lists refiners or asks what one can do reads this table.
 */
import { AnimesegError } from '../errors.js';
import type { Refiner } from '../contracts.js';
import type { RefinerDescriptor, RefinerFlag, RefinerOptions } from './descriptor.js';
import { NONE_REFINER } from './refiners/none.js';
import { REGIONS_REFINER } from './refiners/regions.js';
import { VOTE_REFINER } from './refiners/vote.js';
import { BOX_REFINER } from './refiners/box.js';

export const REFINERS = [NONE_REFINER, REGIONS_REFINER, VOTE_REFINER, BOX_REFINER] as const;

/** The refiners `createRefiner` knows, by name. */
export type RefinerName = (typeof REFINERS)[number]['name'];

/** The names in display order, as a tuple (CLI enum choices). */
export const REFINER_NAMES = REFINERS.map((r) => r.name) as unknown as readonly [RefinerName, ...RefinerName[]];

export function isRefinerName(s: string): s is RefinerName {
  return (REFINER_NAMES as readonly string[]).includes(s);
}

/** The descriptor of `name`, or undefined for a name no refiner has. */
export function findRefiner(name: string): RefinerDescriptor | undefined {
  return REFINERS.find((r) => r.name === name);
}

/**
 * What a listing shows of a refiner (`listRefiners`): its descriptor without the code (options, create).
 * Not the server's RefinerInfo (server/segment-engine.ts), which says whether this server can run it.
 */
export type RefinerSummary = Pick<RefinerDescriptor<RefinerName>, 'name' | 'description' | 'needs' | 'inWorkers' | 'inBrowser'>;

export function listRefiners(): RefinerSummary[] {
  return REFINERS.map(({ name, description, needs, inWorkers, inBrowser }) => ({ name, description, needs, inWorkers, inBrowser }));
}

/** Refiners that are plain CPU code and may run in refine workers. */
export function refinerRunsInWorkers(name: string): boolean {
  return findRefiner(name)?.inWorkers ?? false;
}

/** The refiners that take `flag` (a `segment` option), by name. */
export function refinersTaking(flag: RefinerFlag): RefinerName[] {
  return REFINERS.filter((r) => (r.options as readonly RefinerFlag[]).includes(flag)).map((r) => r.name);
}

export async function createRefiner(name: string, options: RefinerOptions = {}): Promise<Refiner> {
  const d = findRefiner(name);
  if (!d) throw new AnimesegError('BAD_OPTION', `unknown refiner '${name}'`, { hint: `choose one of: ${REFINER_NAMES.join(', ')}` });
  return d.create(options);
}
