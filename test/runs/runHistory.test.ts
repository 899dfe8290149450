/**
 * Run history: the local host journals each top-level orchestration (start and end), `demand runs
 * list|show` print it, GET /api/runs serves the same records. Real replay engine, embedded tables.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import type { OrchestrationContext } from 'durable-functions';
import { main } from '../../src/cli/main';
import type { CliContext } from '../../src/cli/context';
import { formatRunDetail, shortError } from '../../src/cli/runsText';
import { listRunsHandler } from '../../src/functions/handlers/listRuns';
import { LocalOrchestrationHost } from '../../src/host/localHost';
import { journalRuns } from '../../src/host/localRunJournal';
import { RunJournal } from '../../src/lib/runs';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';

describe('run history', () => {
  let dir: string;
  let entities: EmbeddedEntityStore;
  let journal: RunJournal;
  let clock: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'runs-'));
    entities = EmbeddedEntityStore.fromDirectory(path.join(dir, 'state'));
    journal = await RunJournal.fromEntities(entities);
    clock = Date.parse('2026-01-05T02:00:00Z');
    const host = new LocalOrchestrationHost({ sleep: async () => undefined, now: () => new Date((clock += 1500)) });
    host.registerActivity('count', async (n) => ({ records: n, pages: 2 }));
    host.registerActivity('boom', async () => {
      throw new Error('orders API answered 503 on page 3');
    });
    host.registerOrchestrator('demandPipeline', function* (context: OrchestrationContext) {
      const input = context.df.getInput<{ trigger: string; fail?: boolean }>();
      const startedAt = context.df.currentUtcDateTime.toISOString();
      const ingest = (yield context.df.callActivity('count', 20720)) as { records: number; pages: number };
      const summary = {
        runId: context.df.instanceId,
        trigger: input.trigger,
        startedAt,
        status: 'Completed',
        stages: { ingestOrders: { ...ingest, source: 'x', batches: 3 }, silver: { quarantined: 534 }, forecast: { skus: 40 } },
        quarantineReasons: { non_product_code: 256 },
        outputs: {},
      };
      context.df.setCustomStatus({ summary });
      if (input.fail) yield context.df.callActivity('boom', null);
      return summary;
    });
    const journaled = journalRuns(host, journal);
    host.startNew('demandPipeline', { instanceId: 'run-a', input: { trigger: 'manual' } });
    await host.waitForCompletion('run-a');
    host.startNew('demandPipeline', { instanceId: 'run-b', input: { trigger: 'timer', fail: true } });
    await host.waitForCompletion('run-b');
    await journaled.settled();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('journals each run with trigger, status, duration, stage counts and errors, newest first', async () => {
    const runs = await journal.list();
    expect(runs.map((r) => [r.runId, r.trigger, r.status])).toEqual([
      ['run-b', 'timer', 'Failed'],
      ['run-a', 'manual', 'Completed'],
    ]);
    const a = runs[1]!;
    expect(a.stages['ingestOrders']).toEqual({ records: 20720, pages: 2, batches: 3 });
    expect(a.stages['forecast']).toEqual({ skus: 40 });
    expect(a.durationInMs).toBeGreaterThan(0);
    expect(a.finishedAt).not.toBeNull();
    expect(runs[0]!.errors.join()).toContain('orders API answered 503 on page 3');
    // The failed run's counts so far come from its custom status.
    expect(runs[0]!.stages['silver']).toEqual({ quarantined: 534 });
    expect(await journal.list({ limit: 1 })).toHaveLength(1);
  });

  it('prints `demand runs list` and `demand runs show`, as text and JSON', async () => {
    const out: string[] = [];
    const err: string[] = [];
    let exitCode = 0;
    const context: CliContext = {
      settings: () => ({}) as never,
      services: async () => ({ entities }) as never,
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      setExitCode: (c) => void (exitCode = c),
    };
    await main(['node', 'demand', 'runs', 'list'], context);
    expect(out[0]).toMatch(/^RUN\s+TRIGGER\s+STATUS\s+STARTED \(UTC\)\s+DURATION\s+ORDER LINES\s+QUARANTINED\s+SKUS\s+ERROR/);
    expect(out[0]).toMatch(/run-a\s+manual\s+Completed\s+2026-01-05 02:00:\d\d\s+\d+s\s+20,720\s+534\s+40/);
    expect(out[0]).toMatch(/run-b\s+timer\s+Failed .*orders API answered 503/);
    await main(['node', 'demand', 'runs', 'show', 'run-a'], context);
    expect(out[1]).toContain('ingestOrders    records 20,720, pages 2, batches 3');
    expect(out[1]).toContain('non_product_code');
    await main(['node', 'demand', 'runs', 'list', '--json', '--limit', '1'], context);
    expect(JSON.parse(out[2]!)).toHaveLength(1);
    await main(['node', 'demand', 'runs', 'show', 'nope'], context);
    expect(err.join()).toContain('No run "nope"');
    expect(exitCode).toBe(1);
  });

  it('lists an error by its stage and innermost message, and shows each line of it once', () => {
    const recorded =
      'Error: ActivityError: [upstream] activity ingestOrders: OrdersFetchError: [upstream] Orders source "orders" page 0 failed after 4 attempt(s) in 695 ms; last status: none (transport error: fetch failed) \n' +
      ' ActivityError: [upstream] activity ingestOrders: OrdersFetchError: [upstream] Orders source "orders" page 0 failed after 4 attempt(s) in 695 ms; last status: none (transport error: fetch failed)';
    const short = shortError(recorded);
    expect(short.startsWith('ingestOrders: Orders source "orders" page 0 failed after 4 attempt(s)')).toBe(true);
    expect(short).toHaveLength(100);
    expect(short.endsWith('…')).toBe(true);
    expect(shortError('plain failure')).toBe('plain failure');
    const detail = formatRunDetail({
      runId: 'r',
      orchestrator: 'demandPipeline',
      trigger: 'manual',
      status: 'Failed',
      startedAt: '2026-01-05T02:00:00Z',
      finishedAt: '2026-01-05T02:00:01Z',
      durationInMs: 1000,
      stages: {},
      quarantineReasons: {},
      errors: [recorded],
    });
    expect(detail.split('\n').filter((l) => l.includes('page 0 failed'))).toHaveLength(1);
  });

  it('serves the same records at GET /api/runs and rejects a bad limit naming it', async () => {
    const handler = listRunsHandler({ client: () => undefined as never, settings: () => ({}) as never, runs: () => journal });
    const ctx = new InvocationContext({ functionName: 'listRuns' });
    const ok = await handler(new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/runs?limit=5' }), ctx);
    expect(ok.status).toBe(200);
    expect((ok.jsonBody as { runs: unknown[] }).runs).toEqual(JSON.parse(JSON.stringify(await journal.list({ limit: 5 }))));
    const bad = await handler(new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/runs?limit=0' }), ctx);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.jsonBody)).toContain('limit');
  });
});
