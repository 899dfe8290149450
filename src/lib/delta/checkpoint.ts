/**
 * Single-part Parquet checkpoints (`%020d.checkpoint.parquet` + `_last_checkpoint`), in the layout
 * Spark writes: one action per row, columns txn, add, remove, metaData, protocol, each a nullable
 * struct; maps as Parquet MAP (key_value/key/value), arrays as 3-level LIST (list/element).
 */
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { lakePath, type LakeStore } from '../lake/lakeStore';
import { checkpointFileName, logFolder, type TableState } from './log';

const optional = 'OPTIONAL' as const;

function str(name: string): SchemaElement {
  return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: optional };
}
function long(name: string): SchemaElement {
  return { name, type: 'INT64', repetition_type: optional };
}
function int(name: string): SchemaElement {
  return { name, type: 'INT32', repetition_type: optional };
}
function bool(name: string): SchemaElement {
  return { name, type: 'BOOLEAN', repetition_type: optional };
}
function group(name: string, children: SchemaElement[][]): SchemaElement[] {
  return [{ name, repetition_type: optional, num_children: children.length }, ...children.flat()];
}
function stringMap(name: string): SchemaElement[] {
  return [
    { name, repetition_type: optional, converted_type: 'MAP', num_children: 1 },
    { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
    { name: 'key', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    str('value'),
  ];
}
function stringList(name: string): SchemaElement[] {
  return [
    { name, repetition_type: optional, converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    str('element'),
  ];
}

export const checkpointSchema: SchemaElement[] = [
  { name: 'spark_schema', num_children: 5 },
  ...group('txn', [[str('appId')], [long('version')], [long('lastUpdated')]]),
  ...group('add', [
    [str('path')],
    stringMap('partitionValues'),
    [long('size')],
    [long('modificationTime')],
    [bool('dataChange')],
    stringMap('tags'),
    [str('stats')],
  ]),
  ...group('remove', [
    [str('path')],
    [long('deletionTimestamp')],
    [bool('dataChange')],
    [bool('extendedFileMetadata')],
    stringMap('partitionValues'),
    [long('size')],
  ]),
  ...group('metaData', [
    [str('id')],
    [str('name')],
    [str('description')],
    group('format', [[str('provider')], stringMap('options')]),
    [str('schemaString')],
    stringList('partitionColumns'),
    stringMap('configuration'),
    [long('createdTime')],
  ]),
  ...group('protocol', [[int('minReaderVersion')], [int('minWriterVersion')]]),
];

function big(value: number | null | undefined): bigint | null {
  return value === null || value === undefined ? null : BigInt(value);
}

/** Builds the checkpoint Parquet bytes for a replayed state. */
export function encodeCheckpoint(state: TableState): { bytes: Uint8Array; actions: number; addFiles: number } {
  const txn: unknown[] = [];
  const add: unknown[] = [];
  const remove: unknown[] = [];
  const metaData: unknown[] = [];
  const protocol: unknown[] = [];
  const push = (column: unknown[], value: unknown): void => {
    for (const c of [txn, add, remove, metaData, protocol]) c.push(c === column ? value : null);
  };
  if (state.protocol) {
    push(protocol, { minReaderVersion: state.protocol.minReaderVersion, minWriterVersion: state.protocol.minWriterVersion });
  }
  if (state.metadata) {
    const m = state.metadata;
    push(metaData, {
      id: m.id,
      name: m.name ?? null,
      description: m.description ?? null,
      format: { provider: m.format.provider, options: m.format.options ?? {} },
      schemaString: m.schemaString,
      partitionColumns: m.partitionColumns,
      configuration: m.configuration ?? {},
      createdTime: big(m.createdTime),
    });
  }
  for (const [appId, version] of state.appTransactions) push(txn, { appId, version: BigInt(version), lastUpdated: null });
  for (const a of state.files.values()) {
    push(add, {
      path: a.path,
      partitionValues: a.partitionValues ?? {},
      size: BigInt(a.size),
      modificationTime: BigInt(a.modificationTime),
      dataChange: false,
      tags: a.tags ?? null,
      stats: a.stats ?? null,
    });
  }
  for (const r of state.tombstones.values()) {
    push(remove, {
      path: r.path,
      deletionTimestamp: big(r.deletionTimestamp),
      dataChange: false,
      extendedFileMetadata: r.extendedFileMetadata ?? false,
      partitionValues: r.partitionValues ?? null,
      size: big(r.size),
    });
  }
  const columnData: ColumnSource[] = [
    { name: 'txn', data: txn as ColumnSource['data'] },
    { name: 'add', data: add as ColumnSource['data'] },
    { name: 'remove', data: remove as ColumnSource['data'] },
    { name: 'metaData', data: metaData as ColumnSource['data'] },
    { name: 'protocol', data: protocol as ColumnSource['data'] },
  ];
  const buffer = parquetWriteBuffer({
    columnData,
    schema: checkpointSchema,
    codec: 'SNAPPY',
    createdBy: 'azure-demand-forecast delta module',
  });
  return { bytes: new Uint8Array(buffer), actions: txn.length, addFiles: state.files.size };
}

/**
 * Writes the checkpoint for `state.version`, then points `_last_checkpoint` at it. The checkpoint
 * file is written before the hint, so a reader following the hint always finds a whole file.
 */
export async function writeCheckpoint(
  lake: LakeStore,
  tablePath: string,
  state: TableState,
  options: { abortSignal?: AbortSignal } = {},
): Promise<void> {
  const { bytes, actions, addFiles } = encodeCheckpoint(state);
  const signal = options.abortSignal ? { abortSignal: options.abortSignal } : {};
  await lake.put(lakePath(tablePath, logFolder, checkpointFileName(state.version)), bytes, signal);
  const hint = { version: state.version, size: actions, sizeInBytes: bytes.byteLength, numOfAddFiles: addFiles };
  await lake.put(lakePath(tablePath, logFolder, '_last_checkpoint'), Buffer.from(JSON.stringify(hint), 'utf8'), signal);
}
