import { randomUUID } from 'node:crypto';
import { EntityConflictError, RegistryNotFoundError, ValidationError } from '../errors';
import { collect, type Entity, type EntityStore, type EntityTable } from '../tables/entityStore';
import { entityKey } from '../tables/entityKey';
import {
  compareVersions,
  runStatuses,
  type ModelVersion,
  type NewModelVersion,
  type RunBatch,
  type RunStatus,
  type TrackedRun,
  type Tracker,
  type TrackerOptions,
} from './tracker';
import { assertRunBatch } from './runBatchRules';

/** Table names (letters and digits only, as Azure Table storage requires). */
export const trackingTableNames = {
  experiments: 'experiments',
  runs: 'runs',
  runNames: 'runnames',
  models: 'registeredmodels',
  versions: 'modelversions',
  aliases: 'modelaliases',
} as const;

/** Versions as row keys sort numerically when zero-padded. */
function versionKey(version: number): string {
  return String(version).padStart(10, '0');
}

const maxConcurrencyAttempts = 20;

interface RunInfoEntity extends Entity {
  experimentId: string;
  runName: string;
  status: string;
  startTimeInMs: number;
  endTimeInMs: number | null;
}

/** A ModelVersion as stored: tags as a JSON string, aliases in their own rows. */
type VersionEntity = Entity & Omit<ModelVersion, 'tags' | 'aliases'> & { tags: string };

function parseTags(json: string): Record<string, string> {
  const parsed: unknown = JSON.parse(json);
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
}

/**
 * The tracker over the EntityStore port: the default. Each param, metric and tag of a run is its
 * own entity (partition = run id), so a batch is idempotent upserts and no property grows past
 * Table storage's 64 KiB limit; version numbers come from an ETag-guarded counter.
 */
export class TablesTracker implements Tracker {
  readonly kind = 'tables' as const;

  private constructor(private readonly store: EntityStore) {}

  static fromEntityStore(store: EntityStore): TablesTracker {
    return new TablesTracker(store);
  }

  private table(name: string): Promise<EntityTable> {
    return this.store.table(name);
  }

  async getOrCreateExperiment(name: string, options?: TrackerOptions): Promise<string> {
    if (!name) throw new ValidationError('experiment', 'Experiment name must not be empty');
    const table = await this.table(trackingTableNames.experiments);
    const key = entityKey(name);
    const existing = await table.get(`experiment`, key, options);
    if (existing) return String(existing.entity['experimentId']);
    const experimentId = randomUUID().replace(/-/g, '');
    try {
      await table.insert({ partitionKey: 'experiment', rowKey: key, name, experimentId, createdAtInMs: Date.now() }, options);
      return experimentId;
    } catch (err) {
      // Another process created it first: use theirs.
      if (!(err instanceof EntityConflictError)) throw err;
      const winner = await table.get('experiment', key, options);
      return String(winner?.entity['experimentId']);
    }
  }

  async startRun(
    experimentId: string,
    run: { runName: string; startTimeInMs?: number; tags?: Record<string, string> },
    options?: TrackerOptions,
  ): Promise<string> {
    const runId = randomUUID().replace(/-/g, '');
    const runs = await this.table(trackingTableNames.runs);
    const info: RunInfoEntity = {
      partitionKey: runId,
      rowKey: 'info',
      experimentId,
      runName: run.runName,
      status: 'RUNNING',
      startTimeInMs: run.startTimeInMs ?? Date.now(),
      endTimeInMs: null,
    };
    await runs.insert(info, options);
    const names = await this.table(trackingTableNames.runNames);
    await names.upsert({ partitionKey: entityKey(experimentId), rowKey: entityKey(run.runName), runId }, options);
    if (run.tags && Object.keys(run.tags).length > 0) await this.logBatch(runId, { tags: run.tags }, options);
    return runId;
  }

  async findRunByName(experimentId: string, runName: string, options?: TrackerOptions): Promise<TrackedRun | undefined> {
    const names = await this.table(trackingTableNames.runNames);
    const hit = await names.get(entityKey(experimentId), entityKey(runName), options);
    return hit ? this.getRun(String(hit.entity['runId']), options) : undefined;
  }

  private async requireRun(runId: string, options?: TrackerOptions): Promise<EntityTable> {
    const runs = await this.table(trackingTableNames.runs);
    if (!(await runs.get(runId, 'info', options))) throw new RegistryNotFoundError(`Run ${runId}`);
    return runs;
  }

  async logBatch(runId: string, batch: RunBatch, options?: TrackerOptions): Promise<void> {
    // The same keys as MLflow accepts, so a run that logs here also logs to MLflow.
    assertRunBatch(batch);
    const runs = await this.requireRun(runId, options);
    const params = Object.entries(batch.params ?? {});
    // One range query for the params already logged ('/' sorts right after '.'), not one read per param.
    const logged = new Map<string, unknown>();
    if (params.length > 0) {
      for await (const row of runs.list({ ...options, partitionKey: runId, rowKeyFrom: 'p.', rowKeyTo: 'p/' }))
        logged.set(row.rowKey, row['value']);
    }
    for (const [key, value] of params) {
      const rowKey = `p.${entityKey(key)}`;
      // Params are write-once, as in MLflow: the same value again is fine, a different one is not.
      if (logged.has(rowKey) && logged.get(rowKey) !== value) {
        throw new ValidationError(
          `params.${key}`,
          `Param ${key} of run ${runId} is already ${JSON.stringify(logged.get(rowKey))}; cannot change it to ${JSON.stringify(value)}`,
        );
      }
      if (!logged.has(rowKey)) await runs.upsert({ partitionKey: runId, rowKey, key, value }, options);
    }
    for (const metric of batch.metrics ?? []) {
      if (!Number.isFinite(metric.value)) {
        throw new ValidationError(`metrics.${metric.key}`, `Metric ${metric.key} must be a finite number, got ${metric.value}`);
      }
      await runs.upsert(
        {
          partitionKey: runId,
          rowKey: `m.${entityKey(metric.key)}`,
          key: metric.key,
          value: metric.value,
          step: metric.step ?? 0,
          timestampInMs: metric.timestampInMs ?? Date.now(),
        },
        options,
      );
    }
    for (const [key, value] of Object.entries(batch.tags ?? {})) {
      await runs.upsert({ partitionKey: runId, rowKey: `t.${entityKey(key)}`, key, value }, options);
    }
  }

  async endRun(runId: string, status: RunStatus, options?: TrackerOptions & { endTimeInMs?: number }): Promise<void> {
    if (!runStatuses.includes(status))
      throw new ValidationError('status', `Run status must be one of ${runStatuses.join(', ')}, got "${status}"`);
    const runs = await this.table(trackingTableNames.runs);
    const current = await runs.get<RunInfoEntity>(runId, 'info', options);
    if (!current) throw new RegistryNotFoundError(`Run ${runId}`);
    await runs.replace(
      { ...current.entity, status, endTimeInMs: options?.endTimeInMs ?? Date.now() },
      { ...options, ifMatch: current.etag },
    );
  }

  async getRun(runId: string, options?: TrackerOptions): Promise<TrackedRun | undefined> {
    const runs = await this.table(trackingTableNames.runs);
    const rows = await collect(runs.list({ ...options, partitionKey: runId }));
    const info = rows.find((r) => r.rowKey === 'info') as RunInfoEntity | undefined;
    if (!info) return undefined;
    const run: TrackedRun = {
      runId,
      experimentId: info.experimentId,
      runName: info.runName,
      status: info.status as RunStatus,
      startTimeInMs: info.startTimeInMs,
      endTimeInMs: info.endTimeInMs ?? null,
      params: {},
      metrics: {},
      tags: {},
      artifactUri: null,
    };
    for (const row of rows) {
      const key = String(row['key']);
      if (row.rowKey.startsWith('p.')) run.params[key] = String(row['value']);
      else if (row.rowKey.startsWith('m.')) run.metrics[key] = Number(row['value']);
      else if (row.rowKey.startsWith('t.')) run.tags[key] = String(row['value']);
    }
    return run;
  }

  async ensureRegisteredModel(name: string, options?: TrackerOptions & { description?: string }): Promise<void> {
    if (!name) throw new ValidationError('registeredModel', 'Registered model name must not be empty');
    const models = await this.table(trackingTableNames.models);
    try {
      await models.insert(
        {
          partitionKey: 'model',
          rowKey: entityKey(name),
          name,
          latestVersion: 0,
          description: options?.description ?? null,
          createdAtInMs: Date.now(),
        },
        options,
      );
    } catch (err) {
      if (!(err instanceof EntityConflictError)) throw err;
    }
  }

  private async nextVersion(name: string, options?: TrackerOptions): Promise<number> {
    const models = await this.table(trackingTableNames.models);
    for (let attempt = 0; attempt < maxConcurrencyAttempts; attempt++) {
      const current = await models.get(`model`, entityKey(name), options);
      if (!current) throw new RegistryNotFoundError(`Registered model ${name}`);
      const next = Number(current.entity['latestVersion'] ?? 0) + 1;
      try {
        await models.replace({ ...current.entity, latestVersion: next }, { ...options, ifMatch: current.etag });
        return next;
      } catch (err) {
        if (!(err instanceof EntityConflictError)) throw err;
      }
    }
    throw new EntityConflictError(trackingTableNames.models, 'model', entityKey(name), 'etag');
  }

  async createModelVersion(name: string, version: NewModelVersion, options?: TrackerOptions): Promise<ModelVersion> {
    if (!version.source) throw new ValidationError('source', 'A model version needs a source (where its parameters live)');
    const number = await this.nextVersion(name, options);
    const versions = await this.table(trackingTableNames.versions);
    const entity: VersionEntity = {
      partitionKey: entityKey(name),
      rowKey: versionKey(number),
      name,
      version: String(number),
      source: version.source,
      runId: version.runId,
      description: version.description ?? null,
      createdAtInMs: Date.now(),
      tags: JSON.stringify(version.tags ?? {}),
    };
    await versions.insert(entity, options);
    return this.toModelVersion(entity, []);
  }

  private toModelVersion(entity: VersionEntity, aliases: string[]): ModelVersion {
    return {
      name: entity.name,
      version: entity.version,
      source: entity.source,
      runId: entity.runId ?? null,
      description: entity.description ?? null,
      createdAtInMs: entity.createdAtInMs,
      tags: parseTags(entity.tags),
      aliases,
    };
  }

  private async aliasMap(name: string, options?: TrackerOptions): Promise<Map<string, string[]>> {
    const aliases = await this.table(trackingTableNames.aliases);
    const byVersion = new Map<string, string[]>();
    for await (const row of aliases.list({ ...options, partitionKey: entityKey(name) })) {
      const version = String(row['version']);
      byVersion.set(version, [...(byVersion.get(version) ?? []), String(row['alias'])]);
    }
    return byVersion;
  }

  private parseVersionNumber(version: string): number {
    const number = Number(version);
    if (!Number.isInteger(number) || number < 1)
      throw new ValidationError('version', `Model version must be a positive integer, got "${version}"`);
    return number;
  }

  async getModelVersion(name: string, version: string, options?: TrackerOptions): Promise<ModelVersion | undefined> {
    const versions = await this.table(trackingTableNames.versions);
    const hit = await versions.get<VersionEntity>(entityKey(name), versionKey(this.parseVersionNumber(version)), options);
    if (!hit) return undefined;
    const aliases = await this.aliasMap(name, options);
    return this.toModelVersion(hit.entity, aliases.get(hit.entity.version) ?? []);
  }

  async listModelVersions(name: string, options?: TrackerOptions): Promise<ModelVersion[]> {
    const versions = await this.table(trackingTableNames.versions);
    const aliases = await this.aliasMap(name, options);
    const rows = await collect(versions.list<VersionEntity>({ ...options, partitionKey: entityKey(name) }));
    return rows
      .map((row) => this.toModelVersion(row, aliases.get(row.version) ?? []))
      .sort((a, b) => compareVersions(a.version, b.version));
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string, options?: TrackerOptions): Promise<void> {
    const versions = await this.table(trackingTableNames.versions);
    const rowKey = versionKey(this.parseVersionNumber(version));
    for (let attempt = 0; attempt < maxConcurrencyAttempts; attempt++) {
      const current = await versions.get<VersionEntity>(entityKey(name), rowKey, options);
      if (!current) throw new RegistryNotFoundError(`Version ${version} of ${name}`);
      const tags = { ...parseTags(current.entity.tags), [key]: value };
      try {
        await versions.replace({ ...current.entity, tags: JSON.stringify(tags) }, { ...options, ifMatch: current.etag });
        return;
      } catch (err) {
        if (!(err instanceof EntityConflictError)) throw err;
      }
    }
    throw new EntityConflictError(trackingTableNames.versions, entityKey(name), rowKey, 'etag');
  }

  async setAlias(name: string, alias: string, version: string, options?: TrackerOptions): Promise<void> {
    if (!(await this.getModelVersion(name, version, options))) throw new RegistryNotFoundError(`Version ${version} of ${name}`);
    const aliases = await this.table(trackingTableNames.aliases);
    await aliases.upsert({ partitionKey: entityKey(name), rowKey: entityKey(alias), alias, version, updatedAtInMs: Date.now() }, options);
  }

  async deleteAlias(name: string, alias: string, options?: TrackerOptions): Promise<void> {
    const aliases = await this.table(trackingTableNames.aliases);
    await aliases.delete(entityKey(name), entityKey(alias), options);
  }

  async getVersionByAlias(name: string, alias: string, options?: TrackerOptions): Promise<ModelVersion | undefined> {
    const aliases = await this.table(trackingTableNames.aliases);
    const hit = await aliases.get(entityKey(name), entityKey(alias), options);
    return hit ? this.getModelVersion(name, String(hit.entity['version']), options) : undefined;
  }
}
