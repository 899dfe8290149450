import type { Command } from 'commander';
import { DeltaTable } from '../../lib/delta';
import { parseRowFilter } from '../../lib/delta/rowFilter';
import type { DeltaValue } from '../../lib/delta/types';
import { errorText, ValidationError } from '../../lib/errors';
import { lakeTables } from '../../lib/lakeTables';
import type { CliContext } from '../context';

interface ExportFlags {
  where?: string;
  format: string;
  version?: string;
  limit?: string;
}

function nonNegativeInt(field: string, raw: string): number {
  const v = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(v))
    throw new ValidationError(field, `--${field} must be a non-negative integer, got "${raw}"`);
  return v;
}

function csvCell(value: DeltaValue): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A table name from src/lib/lakeTables.ts, or a lake path holding a Delta log. */
async function resolveTable(context: CliContext, name: string): Promise<DeltaTable> {
  const services = await context.services(context.settings());
  const def = (lakeTables as Record<string, { path: string } | undefined>)[name];
  const table = DeltaTable.forPath(services.lake, def ? def.path : name);
  if ((await table.version()) < 0) {
    const known = Object.keys(lakeTables).join(', ');
    throw new ValidationError(
      'table',
      def
        ? `table "${name}" (${def.path}) has not been written yet in ${services.lake.location}`
        : `unknown table "${name}": not a lake table name (${known}) nor a Delta table path in ${services.lake.location}`,
    );
  }
  return table;
}

/**
 * `demand export <table> [--where expr] [--format csv|ndjson] [--version N] [--limit N]`: prints a
 * Silver/Gold Delta table (or any Delta table path in the lake). Conditions on partition columns
 * prune files before any Parquet is read.
 */
export function registerExportCommand(program: Command, context: CliContext): void {
  program
    .command('export')
    .description(`Print a lake Delta table as CSV or NDJSON (tables: ${Object.keys(lakeTables).join(', ')}, or a lake path)`)
    .argument('<table>', 'lake table name or lake path of a Delta table')
    .option('--where <expr>', 'filter, e.g. "sku=85123A and date>=2011-01-01" (ops = != > >= < <=, values may be \'quoted\', null)')
    .option('--format <format>', 'csv or ndjson', 'csv')
    .option('--version <N>', 'read the table as of this Delta version (time travel)')
    .option('--limit <N>', 'stop after N rows')
    .action(async (name: string, flags: ExportFlags) => {
      try {
        const format = flags.format.toLowerCase();
        if (format !== 'csv' && format !== 'ndjson')
          throw new ValidationError('format', `--format must be csv or ndjson, got "${flags.format}"`);
        const version = flags.version === undefined ? undefined : nonNegativeInt('version', flags.version);
        const limit = flags.limit === undefined ? Number.POSITIVE_INFINITY : nonNegativeInt('limit', flags.limit);
        const table = await resolveTable(context, name);
        const snapshot = await table.snapshot(version === undefined ? {} : { version });
        const filter = flags.where ? parseRowFilter(flags.where, snapshot.schema, snapshot.partitionColumns) : undefined;
        const columns = snapshot.schema.fields.map((f) => f.name);
        if (format === 'csv') context.stdout(`${columns.map((c) => csvCell(c)).join(',')}\n`);
        let written = 0;
        if (limit > 0) {
          const rows = table.read({
            ...(version === undefined ? {} : { version }),
            ...(filter ? { partitionFilter: (values: Record<string, string | null>) => filter.matchesPartition(values) } : {}),
          });
          for await (const row of rows) {
            if (filter && !filter.matches(row)) continue;
            context.stdout(format === 'csv' ? `${columns.map((c) => csvCell(row[c] ?? null)).join(',')}\n` : `${JSON.stringify(row)}\n`);
            if (++written >= limit) break;
          }
        }
      } catch (e) {
        context.stderr(`${errorText(e)}\n`);
        context.setExitCode(1);
      }
    });
}
