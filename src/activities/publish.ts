import { ValidationError } from '../lib/errors';
import { recordRunCompleted } from '../lib/publish/runCompletions';
import { crashPoint } from '../lib/testing/crashPoints';
import { asOnlyWriter } from './writerStage';
import type { PublishInput, PublishOutput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { signalOf } from '../lib/pipelineServices';

/**
 * Publishes a run through the configured publisher: a batch run publishes every table (queued
 * ingestion to ADX, or the local dashboard); a single-SKU re-forecast publishes just its SKUs.
 */
export async function publish(input: PublishInput, services: PipelineServices): Promise<PublishOutput> {
  return asOnlyWriter(services, input.runId, 'publish', () => publishLocked(input, services));
}

async function publishLocked(input: PublishInput, services: PipelineServices): Promise<PublishOutput> {
  if (!input.runId) throw new ValidationError('runId', `publish needs a runId, got ${JSON.stringify(input.runId)}`);
  if (input.mode !== 'batch' && input.mode !== 'single') {
    throw new ValidationError('mode', `publish mode must be "batch" or "single", got ${JSON.stringify(input.mode)}`);
  }
  if (input.mode === 'single' && (!input.skus || input.skus.length === 0)) {
    throw new ValidationError('skus', 'publish mode "single" needs the SKUs to publish');
  }
  crashPoint('publish:before');
  if (!input.tables && services.lake) {
    // Every Gold table of the run is written: record the run as completed before it is shown.
    await recordRunCompleted(
      services.lake,
      { runId: input.runId, completedAt: new Date().toISOString(), mode: input.mode },
      signalOf(services),
    );
    crashPoint('publish:completed-recorded');
  }
  const publisher = services.adapters.publisher(services);
  const signal = {
    ...signalOf(services),
    ...(input.tables ? { tables: input.tables } : {}),
    // A batch publish that names SKUs is a re-forecast of those SKUs, not a full run.
    ...(input.mode === 'batch' && input.skus && input.skus.length > 0 ? { reforecastSkus: input.skus } : {}),
  };
  try {
    const result =
      input.mode === 'single'
        ? await publisher.publishSkus(input.runId, input.skus ?? [], signal)
        : await publisher.publishRun(input.runId, signal);
    services.log(
      `publish (${result.target}, ${input.mode}): ${Object.entries(result.tables)
        .map(([t, n]) => `${t}=${n}`)
        .join(', ')}`,
    );
    return { target: result.target, tables: result.tables, outputs: result.outputs };
  } finally {
    await publisher.close();
  }
}
