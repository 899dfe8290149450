/**
 * The tables port: small keyed state (watermarks, runs, the model registry, drift events) in the
 * shape of Azure Table storage, so the Azure adapter is a thin mapping. Values are primitives;
 * put larger documents in a JSON string property.
 */
export type EntityValue = string | number | boolean | null;

export interface Entity {
  partitionKey: string;
  rowKey: string;
  [property: string]: EntityValue;
}

export interface StoredEntity<T extends Entity = Entity> {
  entity: T;
  /** Opaque version tag for optimistic concurrency (an ETag in Azure). */
  etag: string;
}

export interface EntityOperationOptions {
  abortSignal?: AbortSignal;
}

export interface EntityListOptions extends EntityOperationOptions {
  partitionKey?: string;
  /** Inclusive lower / exclusive upper bound on rowKey, for ordered scans. */
  rowKeyFrom?: string;
  rowKeyTo?: string;
}

export interface EntityTable {
  readonly name: string;
  get<T extends Entity = Entity>(
    partitionKey: string,
    rowKey: string,
    options?: EntityOperationOptions,
  ): Promise<StoredEntity<T> | undefined>;
  /** Creates; throws EntityConflictError('exists') if the key is taken. Returns the new etag. */
  insert(entity: Entity, options?: EntityOperationOptions): Promise<string>;
  /** Replaces; with `ifMatch` throws EntityConflictError('etag') when the stored etag differs. */
  replace(entity: Entity, options?: EntityOperationOptions & { ifMatch?: string }): Promise<string>;
  /** Creates or replaces unconditionally. */
  upsert(entity: Entity, options?: EntityOperationOptions): Promise<string>;
  delete(partitionKey: string, rowKey: string, options?: EntityOperationOptions): Promise<void>;
  /**
   * Creates or replaces many entities in as few writes as the store allows (one file per partition
   * embedded, transactions of up to 100 per partition in Table storage). Optional: use upsertAll.
   */
  upsertMany?(entities: readonly Entity[], options?: EntityOperationOptions): Promise<void>;
  /** Entities ordered by partitionKey, then rowKey. */
  list<T extends Entity = Entity>(options?: EntityListOptions): AsyncIterable<T>;
}

export interface EntityStore {
  readonly location: string;
  /** Opens (creating if needed) a table. Names: letters and digits, starting with a letter. */
  table(name: string): Promise<EntityTable>;
}

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Upserts entities in batches where the table supports it, one by one otherwise. */
export async function upsertAll(table: EntityTable, entities: readonly Entity[], options?: EntityOperationOptions): Promise<void> {
  if (entities.length === 0) return;
  if (table.upsertMany) return table.upsertMany(entities, options);
  for (const e of entities) await table.upsert(e, options);
}
