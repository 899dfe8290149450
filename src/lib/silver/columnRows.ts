/**
 * Stored Silver rows read by columns (DeltaTable.readColumns): a row object is built only for the
 * rows a caller keeps, so a check that scans a whole stored month for a few matches pays for the
 * Parquet decode, not for an object (and its garbage) per stored row.
 */
import type { DeltaTable } from '../delta/deltaTable';
import type { DeltaReadOptions, DeltaRow, DeltaValue } from '../delta/types';

/** The values of one stored row, by column name (the columns the read asked for). */
export type ColumnCursor = (column: string) => DeltaValue | undefined;

/** read()'s rows, in its order, for which `keep` (given each row's column values) holds. */
export async function* keptRows(
  table: DeltaTable,
  options: DeltaReadOptions,
  keep: (value: ColumnCursor) => boolean,
): AsyncIterable<DeltaRow> {
  for await (const batch of table.readColumns(options)) {
    const names = Object.keys(batch.columns);
    const columns = names.map((name) => batch.columns[name] as DeltaValue[]);
    let index = 0;
    const value: ColumnCursor = (column) => batch.columns[column]?.[index];
    for (; index < batch.length; index += 1) {
      if (!keep(value)) continue;
      const row: DeltaRow = {};
      for (let c = 0; c < names.length; c += 1) row[names[c] as string] = (columns[c] as DeltaValue[])[index] as DeltaValue;
      yield row;
    }
  }
}
