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

/**
 * Maps a streamed read row by row, keeping only what `map` returns (undefined drops the row), so
 * the caller holds its own small records rather than the rows as well; a missing table is empty.
 */
export async function mapRowsOrEmpty<T>(rows: () => AsyncIterable<DeltaRow>, map: (row: DeltaRow) => T | undefined): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const row of rows()) {
      const value = map(row);
      if (value !== undefined) out.push(value);
    }
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return [];
    throw err;
  }
  return out;
}
