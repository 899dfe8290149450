import { DeltaTableNotFoundError } from '../errors';
import type { DeltaRow } from './types';

/** Runs a read, treating a table that does not exist yet (a first run) as empty. */
export async function readOrEmpty(read: () => Promise<DeltaRow[]>): Promise<DeltaRow[]> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return [];
    throw err;
  }
}
