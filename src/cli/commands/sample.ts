import type { Command } from 'commander';
import { ValidationError } from '../../lib/errors';
import { writeSampleInventory } from '../../lib/sample/inventorySnapshots';
import { startOrdersApi } from '../../lib/sample/ordersApi';
import type { StreamStart } from '../../lib/sample/orderedSource';
import { loadSampleOrders } from '../../lib/sample/sampleOrders';
import { syntheticOrders } from '../../lib/sample/syntheticFleet';
import { syntheticFleetFromArgs, type SyntheticFleetArgs } from '../../lib/sample/syntheticFleetArgs';
import type { CliContext } from '../context';

/** Loopback only: the sample API is a test double, never something to expose. */
const loopbackHost = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|::1)$/;

function portOf(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ValidationError('port', `--port must be an integer from 0 to 65535: ${JSON.stringify(text)}`);
  return port;
}

/**
 * `demand sample orders-api` serves the bundled sample as the paged orders API until stopped, and
 * `demand sample landing` drops the sample inventory files into a workspace's landing folder, so a
 * workspace can be run again and again the way a scheduler would:
 *   demand sample orders-api --port 8080 &
 *   demand sample landing --workspace W
 *   demand --workspace W run --orders-api-url http://127.0.0.1:8080/orders
 * With `--synthetic-skus N [--days D] [--seed S]` both serve a deterministic synthetic fleet
 * (lib/sample/syntheticFleet.ts) instead: the same options give the same orders and the matching
 * inventory snapshots, so a fleet of any size can be tried end to end.
 */
export function registerSampleCommand(program: Command, context: CliContext, options: { untilStopped?: () => Promise<void> } = {}): void {
  const sample = program
    .command('sample')
    .description('The bundled sample as real sources: a paged orders API, inventory files in landing');
  sample
    .command('orders-api')
    .description('Serve the bundled sample orders as the paged orders REST API (GET /orders?since=&limit=&cursor=) until stopped')
    .option('--port <port>', 'port (0 = any free port)', '0')
    .option('--host <host>', 'loopback address to listen on', '127.0.0.1')
    .option('--synthetic-skus <n>', 'serve a deterministic synthetic fleet of N SKUs instead of the bundled sample')
    .option('--days <d>', 'days of synthetic history, ending 2011-12-09 (default 730)')
    .option('--seed <s>', 'seed of the synthetic fleet (default 7)')
    .action(async (opts: { port: string; host: string } & SyntheticFleetArgs) => {
      if (!loopbackHost.test(opts.host))
        throw new ValidationError('host', `--host must be a loopback address (127.x.x.x, ::1 or localhost): ${JSON.stringify(opts.host)}`);
      const fleet = syntheticFleetFromArgs(opts);
      // A synthetic fleet is streamed from its generator on every request: its orders are never all in memory.
      const records = fleet ? (start: StreamStart) => syntheticOrders(fleet, start) : loadSampleOrders();
      const api = await startOrdersApi({ records, host: opts.host, port: portOf(opts.port) });
      // The URL alone on stdout, so a script can read it; the hint on stderr.
      context.stdout(api.url);
      const what = fleet
        ? `Synthetic orders API (${fleet.skus.length} SKUs, ${fleet.options.days} days, seed ${fleet.options.seed})`
        : 'Sample orders API';
      context.stderr(`${what} on ${api.url} (Ctrl+C stops); try: demand --workspace W run --orders-api-url ${api.url}`);
      try {
        await (options.untilStopped ?? untilSignal)();
      } finally {
        await api.close();
      }
    });
  sample
    .command('landing')
    .description(
      'Drop the bundled sample inventory snapshot files into the landing folder (DEMAND_INVENTORY_LANDING_PREFIX) of the workspace lake',
    )
    .option('--synthetic-skus <n>', "the synthetic fleet's snapshots instead (same --synthetic-skus, --days, --seed as orders-api)")
    .option('--days <d>', 'days of synthetic history (default 730)')
    .option('--seed <s>', 'seed of the synthetic fleet (default 7)')
    .action(async (opts: SyntheticFleetArgs) => {
      const fleet = syntheticFleetFromArgs(opts);
      const settings = context.settings();
      const services = await context.services(settings);
      const written = await writeSampleInventory(services.lake, {
        landingPrefix: settings.DEMAND_INVENTORY_LANDING_PREFIX,
        ...(fleet ? { orders: syntheticOrders(fleet) } : {}),
      });
      context.stdout(
        `${written.files.length} inventory file(s), ${written.rows} row(s) in ${services.lake.location}/${settings.DEMAND_INVENTORY_LANDING_PREFIX}`,
      );
    });
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
