/**
 * Which committed Bronze batches Silver has applied, as durable records in the lake, so Silver
 * never depends on one run's memory of what it ingested:
 *
 *   silver/_ledger/<applyId>.intent.json   the batches one Silver build applies (written first)
 *   silver/_ledger/<applyId>.done.json     written once every Silver commit of that build is in
 *
 * A batch is applied by at most one intent. A build killed after its intent is finished by the
 * next run under the intent's apply id (Silver's commits are idempotent per apply id); then every
 * committed Bronze batch that no intent names yet, whichever run ingested it, is applied.
 */
import { readManifest } from '../bronze/reader';
import { manifestSuffix } from '../bronze/manifest';
import { LakeNotFoundError, ValidationError } from '../errors';
import type { LakeStore } from '../lake/lakeStore';
import type { SilverBuildResult } from './silverBuild';

export const ledgerFolder = 'silver/_ledger';
const inventorySource = 'inventory';

export interface SilverApplyIntent {
  applyId: string;
  /** The run that wrote the intent (the apply id, or the run that applied after its own). */
  runId: string;
  createdAt: string;
  orderManifests: string[];
  inventoryManifests: string[];
}

export interface SilverApply {
  intent: SilverApplyIntent;
  /** The build's result once done. */
  done?: SilverBuildResult;
}

type Ops = { abortSignal?: AbortSignal };

async function readJson<T>(lake: LakeStore, path: string, ops: Ops): Promise<T> {
  const text = (await lake.read(path, ops)).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ValidationError('ledger', `Silver ledger record ${path} is not JSON`, { cause: err });
  }
}

export class SilverApplyLedger {
  private constructor(
    private readonly lake: LakeStore,
    private readonly applies: Map<string, SilverApply>,
  ) {}

  /** Reads every intent and done record. */
  static async load(lake: LakeStore, ops: Ops = {}): Promise<SilverApplyLedger> {
    const intents: string[] = [];
    const dones = new Set<string>();
    for await (const entry of lake.list(ledgerFolder, { recursive: false, ...ops })) {
      const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
      if (name.endsWith('.intent.json')) intents.push(name.slice(0, -'.intent.json'.length));
      else if (name.endsWith('.done.json')) dones.add(name.slice(0, -'.done.json'.length));
    }
    const applies = new Map<string, SilverApply>();
    for (const id of intents) {
      const intent = await readJson<SilverApplyIntent>(lake, `${ledgerFolder}/${id}.intent.json`, ops);
      const done = dones.has(id)
        ? (await readJson<{ result: SilverBuildResult }>(lake, `${ledgerFolder}/${id}.done.json`, ops)).result
        : undefined;
      applies.set(id, { intent, ...(done ? { done } : {}) });
    }
    return new SilverApplyLedger(lake, applies);
  }

  isEmpty(): boolean {
    return this.applies.size === 0;
  }

  get(applyId: string): SilverApply | undefined {
    return this.applies.get(applyId);
  }

  /** Intents without a done record, oldest first: builds that were killed. */
  unfinished(): SilverApplyIntent[] {
    return [...this.applies.values()]
      .filter((a) => !a.done)
      .map((a) => a.intent)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.applyId < b.applyId ? -1 : 1));
  }

  /** An apply id for `runId` that no intent has (the run id itself, unless it applied already). */
  freeApplyId(runId: string): string {
    if (!this.applies.has(runId)) return runId;
    for (let n = 2; ; n++) if (!this.applies.has(`${runId}.${n}`)) return `${runId}.${n}`;
  }

  /** Every batch some intent names. */
  applied(): Set<string> {
    const applied = new Set<string>();
    for (const { intent } of this.applies.values())
      for (const m of [...intent.orderManifests, ...intent.inventoryManifests]) applied.add(m);
    return applied;
  }

  /**
   * Committed Bronze batches (manifests) that no intent names, orders and inventory apart, in
   * commit order (manifest createdAt, then path), so a later delivery is applied after an earlier one.
   */
  async pending(ops: Ops = {}): Promise<{ orderManifests: string[]; inventoryManifests: string[] }> {
    const applied = this.applied();
    const found: Array<{ path: string; source: string; createdAt: string }> = [];
    for await (const entry of this.lake.list('bronze', { recursive: true, ...ops })) {
      if (!entry.path.endsWith(manifestSuffix) || applied.has(entry.path)) continue;
      const manifest = await readManifest(this.lake, entry.path, ops);
      found.push({ path: entry.path, source: manifest.source, createdAt: manifest.createdAt ?? '' });
    }
    found.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.path < b.path ? -1 : 1));
    return {
      orderManifests: found.filter((f) => f.source !== inventorySource).map((f) => f.path),
      inventoryManifests: found.filter((f) => f.source === inventorySource).map((f) => f.path),
    };
  }

  /** Writes an intent (put-if-absent: an apply id is claimed once). */
  async begin(intent: SilverApplyIntent, ops: Ops = {}): Promise<void> {
    const path = `${ledgerFolder}/${intent.applyId}.intent.json`;
    if (!(await this.lake.putIfAbsent(path, Buffer.from(JSON.stringify(intent, null, 2)), ops))) {
      throw new ValidationError(
        'applyId',
        `Silver apply ${intent.applyId} already has an intent (${path}): another run is applying; the lake lock should have prevented this`,
      );
    }
    this.applies.set(intent.applyId, { intent });
  }

  /** Marks an apply done with its result. */
  async finish(applyId: string, result: SilverBuildResult, ops: Ops = {}): Promise<void> {
    const apply = this.applies.get(applyId);
    if (!apply) throw new LakeNotFoundError(`${ledgerFolder}/${applyId}.intent.json`);
    await this.lake.put(
      `${ledgerFolder}/${applyId}.done.json`,
      Buffer.from(JSON.stringify({ applyId, finishedAt: new Date().toISOString(), result }, null, 2)),
      ops,
    );
    apply.done = result;
  }
}
