import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { journalRuns } from '../../host/localRunJournal';
import { createLocalHost } from '../../host/localRuntime';
import { RunJournal } from '../../lib/runs';
import type { SettingName } from '../../lib/config/settings';
import { closeSharedForecastPool } from '../../activities/forecastPool';
import { orchestratorNames } from '../../contracts/names';
import { pipelineOptionsFromSettings, type DemandPipelineInput } from '../../orchestrators/input';
import type { RunSummary } from '../../orchestrators/summary';
import type { CliContext } from '../context';
import { createRunProgress } from '../progress';
import { isPresetName, presetNames } from '../../lib/sources/presets';
import { resolveOrdersSource } from '../../lib/sources/ordersSource';
import { startSampleSources } from '../sampleSources';
import { openLakeTable } from '../../lib/delta';
import type { LakeStore } from '../../lib/lake/lakeStore';
import { lakeTables } from '../../lib/lakeTables';
import { formatRunSummary, type RunDataFacts } from '../summaryText';
import { sampleWorkspace, workspaceOverrides } from '../workspace';

export interface RunCommandOptions {
  json?: boolean;
  sample?: boolean;
  ordersApiUrl?: string;
  ordersSource?: string;
  runId?: string;
  progress?: boolean;
}

export function registerRunCommand(program: Command, context: CliContext): void {
  program
    .command('run')
    .description(
      'Run the whole pipeline locally: ingest → Silver → forecast → publish → drift, on the real Durable Functions replay engine',
    )
    .option(
      '--sample',
      'use the bundled sample: a fresh workspace (.demand/sample), a local orders API serving the sample, sample inventory files',
    )
    .option('--orders-api-url <url>', 'orders collection URL of a REST source (DEMAND_ORDERS_API_URL)')
    .option(
      '--orders-source <file|preset>',
      `orders source: a definition JSON file or a preset (${presetNames.join(', ')}); DEMAND_ORDERS_SOURCE, see docs/sources.md`,
    )
    .option('--run-id <id>', 'run id (re-running an id is idempotent)')
    .option('--json', 'print the run summary as one JSON object on stdout')
    .option('--no-progress', 'no progress bars')
    .action(async (options: RunCommandOptions) => {
      const workspace = context.workspace?.() ?? (options.sample ? sampleWorkspace : undefined);
      const overrides: Partial<Record<SettingName, string>> = {
        ...(workspace ? workspaceOverrides(path.resolve(workspace)) : {}),
        ...(options.ordersApiUrl ? { DEMAND_ORDERS_API_URL: options.ordersApiUrl } : {}),
        ...(options.ordersSource
          ? {
              DEMAND_ORDERS_SOURCE:
                isPresetName(options.ordersSource) || options.ordersSource.trimStart().startsWith('{')
                  ? options.ordersSource
                  : path.resolve(options.ordersSource),
            }
          : {}),
      };
      if (options.sample && workspace) {
        // The sample run always starts from scratch, so it shows a full first run.
        await fs.rm(path.resolve(workspace), { recursive: true, force: true });
      }
      let settings = context.settings(overrides);
      const log = (message: string): void => {
        if (process.env['DEMAND_VERBOSE']) context.stderr(message);
      };
      const services = await context.services(settings);
      const sample = options.sample ? await startSampleSources(services) : undefined;
      try {
        if (sample) {
          settings = context.settings({ ...overrides, DEMAND_ORDERS_API_URL: sample.ordersApiUrl });
          Object.assign(services, { settings });
        }
        // A definition is read (and checked) before anything runs: a typo fails here, naming the key.
        const source = await resolveOrdersSource(settings);
        if (source.kind === 'online-retail-api' && !settings.DEMAND_ORDERS_API_URL) {
          throw new Error(
            'Setting DEMAND_ORDERS_API_URL is missing: pass --orders-api-url <url>, set the variable, use --sample, or name another source with --orders-source <file|preset>',
          );
        }
        const interactive = options.progress !== false && !options.json && process.stderr.isTTY === true;
        // --json keeps stderr as it was (stage lines only); periodic count lines are for people and logs.
        const progress = createRunProgress({
          interactive,
          write: (line) => context.stderr(line),
          ...(options.json ? { intervalInMs: Infinity } : {}),
        });
        const host = createLocalHost(
          { ...services, log, progress: (signal, done, total) => progress.report(signal, done, total) },
          {
            log,
            onActivity: (name, phase, result, input) =>
              phase === 'started'
                ? progress.scheduled(name, input)
                : phase === 'completed'
                  ? progress.completed(name, result, input)
                  : progress.failed(name, input),
          },
        );
        const journaled = journalRuns(host, await RunJournal.fromEntities(services.entities), (m) => context.stderr(m));
        const runId =
          options.runId ??
          `run-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${randomUUID().slice(0, 8)}`;
        const input: DemandPipelineInput = { trigger: 'manual', options: pipelineOptionsFromSettings(settings) };
        if (!options.json) context.stderr(`Run ${runId}: lake ${services.lake.location}`);
        host.startNew(orchestratorNames.demandPipeline, { instanceId: runId, input });
        const status = await host.waitForCompletion(runId);
        progress.stop();
        await journaled.settled();
        const summary: RunSummary =
          status.runtimeStatus === 'Completed'
            ? (status.output as RunSummary)
            : {
                ...((status.customStatus as { summary?: RunSummary } | undefined)?.summary ?? {
                  runId,
                  trigger: 'manual',
                  startedAt: status.createdTime,
                  stages: {},
                  quarantineReasons: {},
                  outputs: {},
                }),
                status: 'Failed',
                error: String(status.output),
              };
        if (options.json) context.stdout(JSON.stringify(summary));
        else
          context.stdout(
            formatRunSummary(summary, {
              lake: services.lake.location,
              state: services.entities.location,
              workspace,
              data: await runDataFacts(services.lake),
            }),
          );
        if (summary.status !== 'Completed') context.setExitCode(1);
      } finally {
        await sample?.close();
        await closeSharedForecastPool();
      }
    });
}

/** The data's own first and last sale day and its top SKU (Silver products), for the summary; empty when there is none. */
async function runDataFacts(lake: LakeStore): Promise<RunDataFacts> {
  try {
    const products = await openLakeTable(lake, lakeTables.products).readAll();
    if (products.length === 0) return {};
    let top = products[0] as Record<string, unknown>;
    let firstDay = String(top['first_sale_date']);
    let lastDay = String(top['last_sale_date']);
    for (const p of products) {
      if (Number(p['total_units']) > Number(top['total_units'])) top = p;
      if (String(p['first_sale_date']) < firstDay) firstDay = String(p['first_sale_date']);
      if (String(p['last_sale_date']) > lastDay) lastDay = String(p['last_sale_date']);
    }
    return { topSku: String(top['sku']), firstDay: firstDay.slice(0, 10), lastDay: lastDay.slice(0, 10) };
  } catch {
    return {};
  }
}
