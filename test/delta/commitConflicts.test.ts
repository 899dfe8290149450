import { DeltaConcurrentModificationError, DeltaTable } from '../../src/lib/delta';
import { encodeDataFile } from '../../src/lib/delta/dataFile';
import type { DeltaFileWriter, DeltaRow, DeltaSchema, DeltaWriteOptions } from '../../src/lib/delta/types';
import { conflictHelp, type DeltaCommitConflictKind } from '../../src/lib/errors';
import { columnsOf, tempLake } from './helpers';

/**
 * The conflict kinds of a commit that loses its version, with real writers on the folder lake:
 * each writer is a DeltaTable of its own that read the table before the other committed (what
 * two runs of the pipeline do), and commits race on the same log file where the test says so.
 */
const schema: DeltaSchema = {
  fields: [
    { name: 'sku', type: 'string', nullable: false },
    { name: 'units', type: 'long', nullable: false },
    { name: 'month', type: 'string', nullable: false },
  ],
};
const row = (sku: string, units: number, month = '2011-01'): DeltaRow => ({ sku, units, month });

/** Opens a writer (it reads the table now) and stores its rows as one file of their partition. */
async function openWith(table: DeltaTable, rows: DeltaRow[], options: Omit<DeltaWriteOptions, 'schema'>): Promise<DeltaFileWriter> {
  const writer = await table.openWriter({ schema, ...options });
  const fields = [...writer.dataFields];
  await writer.addFile({ month: String(rows[0]?.month) }, encodeDataFile(fields, columnsOf(fields, rows), rows.length));
  return writer;
}

function asConflict(err: unknown): DeltaConcurrentModificationError {
  if (!(err instanceof DeltaConcurrentModificationError))
    throw new Error(`expected a DeltaConcurrentModificationError, got ${String(err)}`);
  return err;
}

async function conflictOf(attempt: Promise<unknown>): Promise<DeltaConcurrentModificationError> {
  return asConflict(
    await attempt.then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
}

describe('Delta commit conflicts between real concurrent writers', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  const table = (): DeltaTable => DeltaTable.forPath(ctx.lake, 'silver/t');
  const parquetFiles = async (): Promise<string[]> => {
    const out: string[] = [];
    for await (const e of ctx.lake.list('silver/t')) if (e.path.endsWith('.parquet')) out.push(e.path);
    return out.sort();
  };
  const skus = async (): Promise<string[]> => (await table().readAll()).map((r) => `${String(r.sku)}=${String(r.units)}`).sort();

  beforeEach(async () => {
    ctx = await tempLake();
    await table().write([row('A', 1), row('B', 2, '2011-02')], { schema, partitionBy: ['month'], mode: 'append' });
  });
  afterEach(async () => ctx.cleanup());

  it('concurrentAppend: an append to the partition an open overwritePartitions replaces', async () => {
    const overwrite = await openWith(table(), [row('MINE', 7)], { mode: 'overwritePartitions' });
    await table().write([row('RIVAL', 5)], { schema, mode: 'append' });
    const err = await conflictOf(overwrite.commit());
    expect(err.conflict).toMatchObject({ kind: 'concurrentAppend', partition: 'month=2011-01' });
    expect(err.conflict.kind === 'concurrentAppend' && err.conflict.file).toMatch(/^month=2011-01\/part-.*\.parquet$/);
    expect(err.version).toBe(1);
    expect(err.help).toBe(conflictHelp.concurrentAppend);
    expect(err.message).toContain(conflictHelp.concurrentAppend);
    // The loser's file is gone; the table is the winner's.
    expect(await skus()).toEqual(['A=1', 'B=2', 'RIVAL=5']);
    expect(await parquetFiles()).toHaveLength(3);
  });

  it('concurrentDeleteRead: two overwrites of the same partition race; one lands, the other names the file it read', async () => {
    const writers = [
      await openWith(table(), [row('ONE', 1)], { mode: 'overwritePartitions' }),
      await openWith(table(), [row('TWO', 2)], { mode: 'overwritePartitions' }),
    ];
    // Both read version 0 and commit version 1 at once: put-if-absent lets exactly one in.
    const outcomes = await Promise.allSettled(writers.map((w) => w.commit()));
    const landed = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(landed).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const err = asConflict(lost[0]?.reason);
    expect(err.conflict).toMatchObject({ kind: 'concurrentDeleteRead', partition: 'month=2011-01' });
    expect(err.help).toBe(conflictHelp.concurrentDeleteRead);
    expect((await skus()).filter((s) => s !== 'B=2')).toHaveLength(1);
    expect(await parquetFiles()).toHaveLength(3); // A's old file (removed, not vacuumed), B's, the winner's
  });

  it('concurrentDeleteRead: a whole-table overwrite lands while a partition overwrite is open', async () => {
    const partition = await openWith(table(), [row('MINE', 7)], { mode: 'overwritePartitions' });
    await table().write([row('NEW', 9, '2011-03')], { schema, mode: 'overwrite' });
    const err = await conflictOf(partition.commit());
    expect(err.conflict.kind).toBe('concurrentDeleteRead');
    expect(await skus()).toEqual(['NEW=9']);
  });

  it('metadataChanged: two writers create the same table concurrently, partitioned differently', async () => {
    const fresh = (): DeltaTable => DeltaTable.forPath(ctx.lake, 'silver/new');
    const byMonth = await fresh().openWriter({ schema, partitionBy: ['month'], mode: 'append' });
    const flat = await fresh().openWriter({ schema, mode: 'append' });
    for (const w of [byMonth, flat]) {
      const fields = [...w.dataFields];
      const values: Record<string, string> = fields.some((f) => f.name === 'month') ? {} : { month: '2011-01' };
      await w.addFile(values, encodeDataFile(fields, columnsOf(fields, [row('X', 1)]), 1));
    }
    const outcomes = await Promise.allSettled([byMonth.commit(), flat.commit()]);
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(lost).toHaveLength(1);
    const err = asConflict(lost[0]?.reason);
    expect(err.conflict.kind).toBe('metadataChanged');
    expect(err.message).toMatch(/created concurrently partitioned by/);
    expect(await fresh().version()).toBe(0);
  });

  it('metadataChanged: the schema changed (a column added by another engine) after the writer read the table', async () => {
    const overwrite = await openWith(table(), [row('MINE', 7)], { mode: 'overwritePartitions' });
    // What an ALTER TABLE ADD COLUMNS commits: a metaData action with the wider schema.
    const metadata = (await table().state()).metadata;
    const wider = JSON.parse(String(metadata?.schemaString)) as { fields: unknown[] };
    wider.fields.push({ name: 'note', type: 'string', nullable: true, metadata: {} });
    const action = { metaData: { ...metadata, schemaString: JSON.stringify(wider) } };
    expect(await ctx.lake.putIfAbsent('silver/t/_delta_log/00000000000000000001.json', Buffer.from(`${JSON.stringify(action)}\n`))).toBe(
      true,
    );
    const err = await conflictOf(overwrite.commit());
    expect(err.conflict).toEqual({ kind: 'metadataChanged', detail: 'the table metadata (schema or partitioning) changed' });
    expect(err.help).toBe(conflictHelp.metadataChanged);
  });

  it('already applied: two writers of the same transaction race; one lands, the other is a skipped no-op', async () => {
    const transaction = { appId: 'silver:run-7:t', version: 0 };
    const writers = [
      await openWith(table(), [row('X', 1)], { mode: 'append', transaction }),
      await openWith(table(), [row('X', 1)], { mode: 'append', transaction }),
    ];
    const results = await Promise.all(writers.map((w) => w.commit()));
    expect(results.map((r) => r.skipped).sort()).toEqual([false, true]);
    expect(results.map((r) => r.version)).toEqual([1, 1]);
    expect((await skus()).filter((s) => s === 'X=1')).toHaveLength(1);
    expect(await parquetFiles()).toHaveLength(3);
  });

  it('every conflict kind has help text', () => {
    const kinds: DeltaCommitConflictKind[] = [
      'concurrentAppend',
      'concurrentDeleteRead',
      'metadataChanged',
      'protocolChanged',
      'retriesExhausted',
    ];
    for (const kind of kinds) expect(conflictHelp[kind].length).toBeGreaterThan(20);
  });
});
