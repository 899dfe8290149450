/**
 * Hive-style partition folders (`month=2011-01/`), escaped the way Spark does it
 * (ExternalCatalogUtils.escapePathName), so Spark-written and our own layouts look the same.
 */
export const hiveDefaultPartition = '__HIVE_DEFAULT_PARTITION__';

function needsEscape(code: number): boolean {
  return (code >= 0x01 && code <= 0x1f) || code === 0x7f || '"#%\'*/:=?\\{[]^'.includes(String.fromCharCode(code));
}

export function escapePartitionValue(value: string | null): string {
  if (value === null || value === '') return hiveDefaultPartition;
  let out = '';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    out += ch.length === 1 && needsEscape(code) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

/** Folder path (no trailing slash) for a partition, '' for an unpartitioned table. */
export function partitionFolder(partitionColumns: readonly string[], values: Record<string, string | null>): string {
  return partitionColumns.map((column) => `${escapePartitionValue(column)}=${escapePartitionValue(values[column] ?? null)}`).join('/');
}

/** A stable key for a partition (to group rows and compare touched partitions). */
export function partitionKey(partitionColumns: readonly string[], values: Record<string, string | null | undefined>): string {
  return JSON.stringify(partitionColumns.map((c) => values[c] ?? null));
}
