import { Command } from 'commander';
import { registerExportCommand } from '../../src/cli/commands/export';
import type { CliContext } from '../../src/cli/context';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import type { PipelineSettings } from '../../src/lib/config/settings';
import { lakeTables } from '../../src/lib/lakeTables';
import type { LakeStore } from '../../src/lib/lake/lakeStore';
import { tempLake } from './helpers';

function demandRow(sku: string, date: string, units: number, onHand: number | null): DeltaRow {
  return {
    sku,
    date,
    units,
    revenue: units * 2.5,
    orders: units ? 1 : 0,
    customers: units ? 1 : 0,
    on_hand: onHand,
    stockout: onHand === 0,
    month: date.slice(0, 7),
  };
}

async function runExport(lake: LakeStore, args: string[]): Promise<{ out: string; err: string; code: number; readFiles: string[] }> {
  let out = '';
  let err = '';
  let code = 0;
  const readFiles: string[] = [];
  // Records which Parquet files are opened, to see partition pruning from the outside.
  const spy: LakeStore = Object.create(lake) as LakeStore;
  spy.read = async (p, o) => {
    if (p.endsWith('.parquet')) readFiles.push(p);
    return lake.read(p, o);
  };
  const context: CliContext = {
    settings: () => ({}) as PipelineSettings,
    services: async () => ({ lake: spy }) as unknown as PipelineServices,
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    setExitCode: (c) => {
      code = c;
    },
  };
  const program = new Command().exitOverride();
  registerExportCommand(program, context);
  await program.parseAsync(['node', 'demand', 'export', ...args]);
  return { out, err, code, readFiles };
}

describe('demand export', () => {
  let ctx: Awaited<ReturnType<typeof tempLake>>;
  beforeAll(async () => {
    ctx = await tempLake();
    const table = openLakeTable(ctx.lake, lakeTables.daily_demand);
    await table.write(
      [
        demandRow('85123A', '2011-01-03', 6, 10),
        demandRow('85123A', '2011-02-01', 0, 0),
        demandRow('22423', '2011-02-02', 3, null),
        demandRow('22423', '2011-03-02', 1, 4),
      ],
      { schema: lakeTables.daily_demand.schema, partitionBy: ['month'], mode: 'append' },
    );
    await table.write([demandRow('NEW', '2011-03-05', 2, 1)], { schema: lakeTables.daily_demand.schema, mode: 'append' });
  });
  afterAll(async () => ctx.cleanup());

  it('prints CSV with a header, filtering by a partition column (pruning files) and a data column', async () => {
    const r = await runExport(ctx.lake, ['daily_demand', '--where', 'month>=2011-02 and sku=22423']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'sku,date,units,revenue,orders,customers,on_hand,stockout,month\n' +
        '22423,2011-02-02,3,7.5,1,1,,false,2011-02\n' +
        '22423,2011-03-02,1,2.5,1,1,4,false,2011-03\n',
    );
    expect(r.readFiles.length).toBeGreaterThan(0);
    expect(r.readFiles.every((p) => !p.includes('month=2011-01'))).toBe(true);
  });

  it('prints NDJSON, honours --limit, --version and quoted values and null', async () => {
    const ndjson = await runExport(ctx.lake, ['daily_demand', '--format', 'ndjson', '--where', 'on_hand=null']);
    expect(
      ndjson.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as DeltaRow),
    ).toEqual([demandRow('22423', '2011-02-02', 3, null)]);
    const limited = await runExport(ctx.lake, ['silver/daily_demand', '--limit', '2', '--format', 'ndjson']);
    expect(limited.out.trim().split('\n')).toHaveLength(2);
    const v0 = await runExport(ctx.lake, ['daily_demand', '--version', '0', '--where', "sku='NEW'"]);
    expect(v0.out.trim().split('\n')).toHaveLength(1); // header only: NEW came in version 1
    const v1 = await runExport(ctx.lake, ['daily_demand', '--where', "sku='NEW' and stockout=false"]);
    expect(v1.out.trim().split('\n')).toHaveLength(2);
  });

  it('names unknown tables and columns and lists the valid ones', async () => {
    const table = await runExport(ctx.lake, ['nope']);
    expect(table.code).toBe(1);
    expect(table.err).toMatch(/unknown table "nope": not a lake table name \(order_lines, .*daily_demand.*\)/);
    const column = await runExport(ctx.lake, ['daily_demand', '--where', 'colour=red']);
    expect(column.code).toBe(1);
    expect(column.err).toMatch(/unknown column "colour"; columns: sku, date, units, revenue, orders, customers, on_hand, stockout, month/);
    const value = await runExport(ctx.lake, ['daily_demand', '--where', 'units>=lots']);
    expect(value.err).toMatch(/column "units" is long; "lots" is not a number/);
    const syntax = await runExport(ctx.lake, ['daily_demand', '--where', 'sku=1; rm -rf /']);
    expect(syntax.err).toMatch(/expected "and" before "rm -rf \/"|cannot parse/);
    const unwritten = await runExport(ctx.lake, ['forecasts']);
    expect(unwritten.err).toMatch(/table "forecasts" \(gold\/forecasts\) has not been written yet/);
  });
});
