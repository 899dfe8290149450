import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { authorizationFromSettings } from '../../composition/ordersAuthorization';
import { checkOrdersSource, type SourceCheckReport } from '../../lib/sources/checkSource';
import { loadOrdersSource, shopTimeZoneOf } from '../../lib/sources/loadDefinition';
import { isPresetName, presetNames } from '../../lib/sources/presets';
import type { CliContext } from '../context';

interface CheckOptions {
  limit: string;
  file?: string[];
  ordersApiUrl?: string;
  json?: boolean;
}

function formatReport(origin: string, summary: string, report: SourceCheckReport): string {
  const out: string[] = [`Source ${origin}: ${summary}`];
  out.push(`Read ${report.records} record(s) from ${report.read.join(', ') || '(nothing)'}`);
  for (const u of report.unreadable) out.push(`  unreadable ${u.file}: ${u.reason}`);
  if (report.lines.length > 0) {
    out.push('', `Canonical lines (${report.lines.length}):`);
    for (const { record, line } of report.lines.slice(0, 50)) {
      out.push(
        `  #${record} order ${line.orderId} line ${line.lineId}  sku ${line.sku}  qty ${line.quantity}  price ${line.unitPrice}${line.currency ? ` ${line.currency}` : ''}  ` +
          `${line.orderedAt} = shop time ${line.orderedAtLocal.replace('T', ' ')}  ${line.status}${line.customerId ? `  customer ${line.customerId}` : ''}`,
      );
    }
    if (report.lines.length > 50) out.push(`  … ${report.lines.length - 50} more`);
    out.push(
      `Statuses: ${Object.entries(report.statuses)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}`,
    );
  }
  if (report.problems.length === 0) out.push('', 'No problems: every record maps to canonical lines.');
  else {
    out.push('', `Problems by field (${report.problems.length}):`);
    for (const [field, n] of Object.entries(report.byField).sort((a, b) => b[1] - a[1])) {
      const examples = report.problems.filter((p) => p.field === field).slice(0, 3);
      out.push(`  ${field}: ${n} record(s)`);
      for (const e of examples) out.push(`    record #${e.record}: ${e.detail}`);
    }
  }
  return out.join('\n');
}

export function registerSourcesCommand(program: Command, context: CliContext): void {
  const sources = program.command('sources').description('orders source definitions (docs/sources.md)');
  sources
    .command('check <definition>')
    .description(
      `read the first records of a source through a definition file or preset (${presetNames.join(', ')}) without writing anything; print the canonical lines and every problem by field`,
    )
    .option('--limit <n>', 'source records to read', '20')
    .option('--file <path...>', 'files kind: check these local files instead of the workspace lake folder')
    .option('--orders-api-url <url>', 'REST kind: the orders collection URL (DEMAND_ORDERS_API_URL)')
    .option('--json', 'print the report as JSON')
    .action(async (ref: string, options: CheckOptions) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new Error(`--limit must be a whole number >= 1, got ${JSON.stringify(options.limit)}`);
      const loaded = await loadOrdersSource(isPresetName(ref) || ref.trimStart().startsWith('{') ? ref : path.resolve(ref));
      const settings = context.settings(options.ordersApiUrl ? { DEMAND_ORDERS_API_URL: options.ordersApiUrl } : {});
      const definition = loaded.definition;
      const shopTimeZone = shopTimeZoneOf(definition, settings.DEMAND_SHOP_TIME_ZONE);
      const base = { limit, shopTimeZone };
      let report: SourceCheckReport;
      let where: string;
      if (definition.kind === 'files') {
        if (options.file?.length) {
          const files = await Promise.all(options.file.map(async (f) => ({ name: f, bytes: await fs.readFile(f) })));
          report = await checkOrdersSource(definition, { ...base, files });
          where = 'local files';
        } else {
          const services = await context.services(settings);
          report = await checkOrdersSource(definition, { ...base, lake: services.lake });
          where = `${services.lake.location}/${definition.folder}`;
        }
      } else {
        const url = definition.url ?? settings.DEMAND_ORDERS_API_URL;
        if (!url)
          throw new Error(
            `${loaded.origin} is a REST source without "url": pass --orders-api-url <orders collection URL> or set DEMAND_ORDERS_API_URL`,
          );
        const authorization = authorizationFromSettings(settings);
        // One page of at most --limit records is all a check needs.
        const checked = { ...definition, pageSize: Math.min(limit, definition.pageSize ?? limit) };
        report = await checkOrdersSource(checked, {
          ...base,
          client: {
            url,
            pageSize: checked.pageSize,
            requestTimeoutInMs: settings.DEMAND_ORDERS_REQUEST_TIMEOUT_MS,
            retryBudgetInMs: Math.min(settings.DEMAND_ORDERS_RETRY_BUDGET_MS, 30_000),
            ...(authorization ? { authorization } : {}),
          },
        });
        where = url;
      }
      const summary = `${definition.kind} (${where}), timestamps without offset in ${definition.timeZone}, demand days in ${shopTimeZone}, rules ${definition.ruleSet}`;
      context.stdout(
        options.json ? JSON.stringify({ source: loaded.origin, shopTimeZone, ...report }) : formatReport(loaded.origin, summary, report),
      );
      if (report.problems.length > 0 || report.unreadable.length > 0 || report.records === 0) context.setExitCode(1);
    });
}
