import type { Command } from 'commander';
import { writeDashboard } from '../../lib/dashboard/writeDashboard';
import type { CliContext } from '../context';

interface DashboardFlags {
  run?: string;
  output?: string;
}

/**
 * `demand dashboard [--run <id>] [--output <file>]`: writes the self-contained HTML dashboard of a run
 * (the latest forecast run by default) to DEMAND_DASHBOARD_PATH or --output, and prints its path.
 */
export function registerDashboardCommand(program: Command, context: CliContext): void {
  program
    .command('dashboard')
    .description(
      'Write the self-contained HTML dashboard (forecast vs actual, movers, accuracy, inventory actions, drift, data quality) of a run',
    )
    .option('--run <id>', 'run id to show (default: the latest forecast run)')
    .option('--output <file>', 'HTML file to write (default: DEMAND_DASHBOARD_PATH)')
    .action(async (flags: DashboardFlags) => {
      const settings = context.settings();
      const services = await context.services(settings);
      const result = await writeDashboard(services, {
        ...(flags.run !== undefined ? { runId: flags.run } : {}),
        outputPath: flags.output ?? settings.DEMAND_DASHBOARD_PATH,
      });
      context.stdout(`Dashboard of ${result.skus} SKUs written to ${result.path}`);
    });
}
