import { ValidationError } from '../errors';
import { syntheticFleet, type SyntheticFleet } from './syntheticFleet';

/** The CLI's `--synthetic-skus N [--days D] [--seed S]` as given (strings, commander's way). */
export interface SyntheticFleetArgs {
  syntheticSkus?: string;
  days?: string;
  seed?: string;
}

/** Largest fleet the CLI generates: the 100k with head room, far below what would exhaust memory. */
export const maxSyntheticSkus = 1_000_000;

function integerArg(name: string, text: string, min: number, max: number): number {
  const value = /^-?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new ValidationError(name.replace(/^--/, ''), `${name} must be an integer from ${min} to ${max}: ${JSON.stringify(text)}`);
  return value;
}

/**
 * The synthetic fleet the options ask for, or undefined when `--synthetic-skus` is absent (then
 * `--days` and `--seed` are refused: they would silently do nothing on the bundled sample).
 */
export function syntheticFleetFromArgs(args: SyntheticFleetArgs): SyntheticFleet | undefined {
  if (args.syntheticSkus === undefined) {
    const stray = args.days !== undefined ? '--days' : args.seed !== undefined ? '--seed' : undefined;
    if (stray) throw new ValidationError(stray.slice(2), `${stray} applies to a synthetic fleet only: add --synthetic-skus N`);
    return undefined;
  }
  return syntheticFleet({
    skus: integerArg('--synthetic-skus', args.syntheticSkus, 1, maxSyntheticSkus),
    days: args.days === undefined ? 730 : integerArg('--days', args.days, 30, 3650),
    seed: args.seed === undefined ? 7 : integerArg('--seed', args.seed, 0, 2 ** 31 - 1),
  });
}
