import type { Command } from 'commander';
import { ValidationError } from '../../lib/errors';
import { OrdersWatermarks } from '../../lib/ingest/watermarks';
import { checkWallClock } from '../../lib/validation/fields';
import type { CliContext } from '../context';

/**
 * `demand watermarks show [source]` prints the orders watermarks; `demand watermarks set <source>
 * <YYYY-MM-DD HH:MM:SS>` repairs one (e.g. a year-9999 watermark saved by an older version, or to
 * re-fetch from an earlier time: Silver de-duplicates what comes again).
 */
export function registerWatermarksCommand(program: Command, context: CliContext): void {
  const command = program.command('watermarks').description('Inspect or repair the incremental watermarks of the orders sources');
  command
    .command('show [source]')
    .description('print the watermark of each orders source (or of one)')
    .option('--json', 'as JSON')
    .action(async (source: string | undefined, options: { json?: boolean }) => {
      const services = await context.services(context.settings());
      const watermarks = await OrdersWatermarks.fromEntityStore(services.entities);
      const all = source ? [await watermarks.get(source)].flatMap((w) => (w.watermark ? [w.watermark] : [])) : await watermarks.list();
      if (options.json) return context.stdout(JSON.stringify(all));
      if (all.length === 0)
        return context.stdout(
          source
            ? `No watermark for source "${source}" (the next run fetches everything)`
            : 'No watermarks yet (the next run fetches everything)',
        );
      for (const w of all) context.stdout(`${w.source}\t${w.lastOrderTimestamp}\trun ${w.runId}\tupdated ${w.updatedAt}`);
    });
  command
    .command('set <source> <timestamp>')
    .description('set a source\'s watermark to "YYYY-MM-DD HH:MM:SS" (the next run fetches from it minus DEMAND_ORDERS_OVERLAP_MINUTES)')
    .action(async (source: string, timestamp: string) => {
      const checked = checkWallClock('timestamp', timestamp);
      if (!checked.ok) throw new ValidationError('timestamp', `watermark ${checked.detail}`);
      const services = await context.services(context.settings());
      const watermarks = await OrdersWatermarks.fromEntityStore(services.entities);
      const before = await watermarks.get(source).catch(() => ({ watermark: undefined }));
      await watermarks.set({
        source,
        lastOrderTimestamp: checked.value,
        cursor: null,
        runId: 'set-by-operator',
        updatedAt: new Date().toISOString(),
      });
      context.stdout(`${source}: ${before.watermark?.lastOrderTimestamp ?? '(none)'} → ${checked.value}`);
    });
}
