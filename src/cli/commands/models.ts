import type { Command } from 'commander';
import { RegistryNotFoundError } from '../../lib/errors';
import { primaryMetric } from '../../lib/registry/policyMetrics';
import { promotePolicy } from '../../lib/registry/promotion';
import type { ModelVersion, Tracker } from '../../lib/tracking/tracker';
import type { CliContext } from '../context';

interface JsonFlag {
  json?: boolean;
}

async function withRun(tracker: Tracker, version: ModelVersion) {
  const run = version.runId ? await tracker.getRun(version.runId) : undefined;
  return {
    version: version.version,
    aliases: version.aliases,
    createdAt: new Date(version.createdAtInMs).toISOString(),
    source: version.source,
    runId: version.runId,
    description: version.description,
    tags: version.tags,
    run: run ? { runName: run.runName, status: run.status, params: run.params, metrics: run.metrics, tags: run.tags } : null,
  };
}

const fmt = (n: number | undefined): string => (n === undefined ? '-' : n.toFixed(4));

/**
 * `demand models list|show <version>|promote --version N --to production`, all with --json.
 * A refused promotion prints each failed figure and sets exit code 2 (errors: 1).
 */
export function registerModelsCommand(program: Command, context: CliContext): void {
  const models = program.command('models').description('Forecasting policy registry: list versions, show one, promote through the gate');

  const open = async () => {
    const settings = context.settings();
    const services = await context.services(settings);
    return { settings, services, tracker: services.adapters.tracker(services), modelName: settings.DEMAND_REGISTERED_MODEL_NAME };
  };

  models
    .command('list')
    .description('List the registered policy versions with their aliases and headline metrics')
    .option('--json', 'print JSON')
    .action(async (flags: JsonFlag) => {
      const { tracker, modelName } = await open();
      const versions = await Promise.all((await tracker.listModelVersions(modelName)).map((v) => withRun(tracker, v)));
      if (flags.json) {
        context.stdout(`${JSON.stringify({ model: modelName, tracker: tracker.kind, versions }, null, 2)}\n`);
        return;
      }
      if (versions.length === 0) {
        context.stdout(`No versions of ${modelName} yet (tracker: ${tracker.kind}).\n`);
        return;
      }
      const lines = [
        `${modelName} (tracker: ${tracker.kind})`,
        'version  aliases                     wape     mase     created                   pipeline run',
      ];
      for (const v of versions) {
        lines.push(
          `${v.version.padEnd(8)} ${(v.aliases.join(',') || '-').padEnd(27)} ${fmt(v.run?.metrics['wape']).padEnd(8)} ${fmt(v.run?.metrics['mase']).padEnd(8)} ${v.createdAt.padEnd(25)} ${v.run?.runName ?? '-'}`,
        );
      }
      context.stdout(`${lines.join('\n')}\n`);
    });

  models
    .command('show <version>')
    .description('Show one policy version: source, tags, params and metrics of its run')
    .option('--json', 'print JSON')
    .action(async (version: string, flags: JsonFlag) => {
      const { tracker, modelName } = await open();
      const found = await tracker.getModelVersion(modelName, version);
      if (!found) throw new RegistryNotFoundError(`Version ${version} of ${modelName}`);
      const shown = await withRun(tracker, found);
      if (flags.json) {
        context.stdout(`${JSON.stringify({ model: modelName, ...shown }, null, 2)}\n`);
        return;
      }
      const lines = [
        `${modelName} version ${shown.version}  aliases: ${shown.aliases.join(', ') || '-'}`,
        `created ${shown.createdAt}  source ${shown.source}  run ${shown.runId ?? '-'}`,
        'metrics:',
        ...Object.entries(shown.run?.metrics ?? {})
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `  ${k.padEnd(34)} ${v.toFixed(4)}`),
        'params:',
        ...Object.entries(shown.run?.params ?? {}).map(([k, v]) => `  ${k.padEnd(34)} ${v}`),
        'tags:',
        ...Object.entries(shown.tags).map(([k, v]) => `  ${k.padEnd(34)} ${v}`),
        // Breakdowns (skus by model, fallback reasons) are run tags holding JSON; the tracker's own tags are left out.
        'run tags:',
        ...Object.entries(shown.run?.tags ?? {})
          .filter(([k]) => !k.startsWith('mlflow.'))
          .map(([k, v]) => `  ${k.padEnd(34)} ${v}`),
      ];
      context.stdout(`${lines.join('\n')}\n`);
    });

  models
    .command('promote')
    .description(
      `Promote a version to production if it beats production's ${primaryMetric} by DEMAND_PROMOTION_MARGIN with no segment regressing beyond DEMAND_PROMOTION_SEGMENT_TOLERANCE`,
    )
    .requiredOption('--version <n>', 'candidate version number')
    .requiredOption('--to <alias>', 'target (production)')
    .option('--dry-run', 'evaluate the gate and record the decision without moving any alias')
    .option('--json', 'print JSON')
    .action(async (flags: JsonFlag & { version: string; to: string; dryRun?: boolean }) => {
      const { settings, services, tracker, modelName } = await open();
      const outcome = await promotePolicy({
        tracker,
        entities: services.entities,
        modelName,
        version: flags.version,
        to: flags.to,
        margin: settings.DEMAND_PROMOTION_MARGIN,
        segmentTolerance: settings.DEMAND_PROMOTION_SEGMENT_TOLERANCE,
        dryRun: flags.dryRun ?? false,
      });
      const { decision } = outcome;
      if (flags.json) {
        context.stdout(`${JSON.stringify({ model: modelName, ...outcome }, null, 2)}\n`);
      } else {
        const head = decision.approved
          ? `APPROVED: version ${decision.candidateVersion} ${outcome.promoted ? 'is now production' : flags.dryRun ? 'passes the gate (dry run: no alias moved)' : 'stays production'} (${decision.reason}).`
          : `REFUSED: version ${decision.candidateVersion} not promoted over production version ${decision.productionVersion ?? '-'} (${decision.reason}).`;
        const write = (text: string): void => (decision.approved ? context.stdout(text) : context.stderr(text));
        write(`${[head, ...decision.reasons.map((r) => `  - ${r}`), `  decision record: decisions/${outcome.recordKey}`].join('\n')}\n`);
      }
      if (!decision.approved) context.setExitCode(2);
    });
}
