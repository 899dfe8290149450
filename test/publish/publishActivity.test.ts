/**
 * The publish activity tells the publisher what kind of run it publishes: a batch publish that
 * names SKUs (reforecastSkus orchestrator with several SKUs) is a re-forecast, never a full run —
 * otherwise ADX's LatestRunId() would take it for the newest run and the dashboards would shrink.
 */
import type { PublishOptions, Publisher } from '../../src/lib/publish/publisher';
import type { PublishInput } from '../../src/contracts/messages';
import type { PipelineServices } from '../../src/lib/pipelineServices';

const calls: Array<{ method: string; runId: string; skus?: string[]; options?: PublishOptions }> = [];
const fake: Publisher = {
  target: 'fake',
  publishRun: async (runId, options) => {
    calls.push({ method: 'publishRun', runId, ...(options ? { options } : {}) });
    return { target: 'fake', tables: {}, outputs: {} };
  },
  publishSkus: async (runId, skus, options) => {
    calls.push({ method: 'publishSkus', runId, skus, ...(options ? { options } : {}) });
    return { target: 'fake', tables: {}, outputs: {} };
  },
  close: async () => undefined,
};
import { publish } from '../../src/activities/publish';

// The publisher comes from the services' adapter factories (the composition root's choice in production).
const adapters: Pick<PipelineServices['adapters'], 'publisher'> = { publisher: () => fake };
const services = { log: () => undefined, adapters } as unknown as PipelineServices;
const run = { runId: 'r1' } as unknown as PublishInput;

describe('publish activity → publisher options', () => {
  beforeEach(() => {
    calls.length = 0;
  });

  it('a full batch run is published as a full run', async () => {
    await publish({ ...run, mode: 'batch' }, services);
    expect(calls).toEqual([{ method: 'publishRun', runId: 'r1', options: {} }]);
  });

  it('a batch re-forecast of several SKUs is published as a re-forecast', async () => {
    await publish({ ...run, mode: 'batch', skus: ['A', 'B'] }, services);
    expect(calls).toEqual([{ method: 'publishRun', runId: 'r1', options: { reforecastSkus: ['A', 'B'] } }]);
  });

  it('a drift-events publish keeps its table subset; a single SKU streams', async () => {
    await publish({ ...run, mode: 'batch', tables: ['drift_events'] }, services);
    await publish({ ...run, mode: 'single', skus: ['A'] }, services);
    expect(calls).toEqual([
      { method: 'publishRun', runId: 'r1', options: { tables: ['drift_events'] } },
      { method: 'publishSkus', runId: 'r1', skus: ['A'], options: {} },
    ]);
  });
});
