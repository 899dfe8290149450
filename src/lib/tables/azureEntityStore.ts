import { odata, TableClient, type TableEntity, type TableEntityResult } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { defaultAzureCredential } from '../azure/credential';
import { isNotFound, toEntityError } from '../azure/storageErrors';
import { ValidationError } from '../errors';
import type { Entity, EntityListOptions, EntityOperationOptions, EntityStore, EntityTable, EntityValue, StoredEntity } from './entityStore';
import { valueText } from '../errors/valueText';

const tableNamePattern = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
/** Characters Table storage forbids in PartitionKey/RowKey. */
const forbiddenKeyCharacters = /[/\\#?\u0000-\u001f\u007f-\u009f]/;
/**
 * Table storage does not store null properties, but the port allows them. Their names are kept in
 * this one extra string property so a read gives back exactly what was written (as the embedded
 * store does).
 */
export const nullPropertiesProperty = 'demandNullProperties';
/** Properties the service or SDK adds to every entity; not part of the caller's entity. */
const systemProperties = new Set(['etag', 'timestamp', 'odata.metadata', 'odata.etag', nullPropertiesProperty]);
/** Table storage limits: property names are C# identifiers up to 255 characters; strings up to 64 KiB (32K UTF-16 units). */
const propertyNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const maxStringLength = 32 * 1024;
const int32Min = -2147483648;
const int32Max = 2147483647;

type WireValue = string | number | boolean | { value: number; type: 'Double' };

function checkKey(field: 'partitionKey' | 'rowKey', value: unknown): string {
  if (typeof value !== 'string') throw new ValidationError(field, `Entity ${field} must be a string, got ${JSON.stringify(value)}`);
  if (forbiddenKeyCharacters.test(value) || value.length > 1024) {
    throw new ValidationError(
      field,
      `Entity ${field} must be at most 1 KiB without / \\ # ? or control characters: ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Entity → what the SDK sends. Integers outside Int32 and fractions are sent as Edm.Double explicitly. */
function toWire(entity: Entity): TableEntity<Record<string, WireValue>> {
  const partitionKey = checkKey('partitionKey', entity.partitionKey);
  const rowKey = checkKey('rowKey', entity.rowKey);
  const wire: TableEntity<Record<string, WireValue>> = { partitionKey, rowKey };
  const nulls: string[] = [];
  for (const [name, value] of Object.entries(entity)) {
    if (name === 'partitionKey' || name === 'rowKey') continue;
    if (systemProperties.has(name)) throw new ValidationError(name, `Entity property name "${name}" is reserved by Table storage`);
    if (!propertyNamePattern.test(name)) {
      throw new ValidationError(
        name,
        `Entity property name must be letters, digits or _ (not starting with a digit, at most 255): "${name}"`,
      );
    }
    if (value === null) {
      nulls.push(name);
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new ValidationError(name, `Entity property ${name} must be a finite number, got ${value}`);
      wire[name] = Number.isInteger(value) && value >= int32Min && value <= int32Max ? value : { value, type: 'Double' };
    } else if (typeof value === 'string') {
      if (value.length > maxStringLength) {
        throw new ValidationError(
          name,
          `Entity property ${name} is ${value.length} characters; Table storage takes at most ${maxStringLength} per string (store larger documents in the lake)`,
        );
      }
      wire[name] = value;
    } else if (typeof value === 'boolean') {
      wire[name] = value;
    } else {
      throw new ValidationError(name, `Entity property ${name} must be a string, number, boolean or null, got ${typeof value}`);
    }
  }
  if (nulls.length > 0) wire[nullPropertiesProperty] = JSON.stringify(nulls);
  return wire;
}

/** What the SDK returns → Entity: system properties dropped, other EDM types turned into primitives. */
function fromWire<T extends Entity>(raw: TableEntityResult<Record<string, unknown>>): T {
  const entity: Record<string, EntityValue> = { partitionKey: raw.partitionKey ?? '', rowKey: raw.rowKey ?? '' };
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'partitionKey' || name === 'rowKey' || systemProperties.has(name) || name.includes('@odata')) continue;
    entity[name] = toPrimitive(value);
  }
  const nulls = raw[nullPropertiesProperty];
  if (typeof nulls === 'string') {
    for (const name of JSON.parse(nulls) as string[]) entity[name] = null;
  }
  return entity as T;
}

function toPrimitive(value: unknown): EntityValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value); // Edm.Int64 written by other tools
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object' && value !== null && 'value' in value) return valueText(value.value); // Edm.Guid
  return valueText(value);
}

function signal(options?: EntityOperationOptions): { abortSignal?: AbortSignal } {
  return options?.abortSignal ? { abortSignal: options.abortSignal } : {};
}

class AzureEntityTable implements EntityTable {
  constructor(
    readonly name: string,
    private readonly client: TableClient,
  ) {}

  async get<T extends Entity = Entity>(
    partitionKey: string,
    rowKey: string,
    options?: EntityOperationOptions,
  ): Promise<StoredEntity<T> | undefined> {
    try {
      const raw = await this.client.getEntity<Record<string, unknown>>(
        checkKey('partitionKey', partitionKey),
        checkKey('rowKey', rowKey),
        signal(options),
      );
      return { entity: fromWire<T>(raw), etag: raw.etag };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async insert(entity: Entity, options?: EntityOperationOptions): Promise<string> {
    const wire = toWire(entity);
    try {
      return requireEtag(await this.client.createEntity(wire, signal(options)));
    } catch (err) {
      throw toEntityError(err, 'insert', this.name, entity.partitionKey, entity.rowKey);
    }
  }

  async replace(entity: Entity, options?: EntityOperationOptions & { ifMatch?: string }): Promise<string> {
    const wire = toWire(entity);
    // Without ifMatch the port's replace is unconditional (and creates, as the embedded store does).
    if (options?.ifMatch === undefined) return this.upsert(entity, options);
    try {
      return requireEtag(await this.client.updateEntity(wire, 'Replace', { ...signal(options), etag: options.ifMatch }));
    } catch (err) {
      throw toEntityError(err, 'replace', this.name, entity.partitionKey, entity.rowKey);
    }
  }

  async upsert(entity: Entity, options?: EntityOperationOptions): Promise<string> {
    return requireEtag(await this.client.upsertEntity(toWire(entity), 'Replace', signal(options)));
  }

  /**
   * Entity group transactions: up to 100 entities of one partition per request (Table storage's
   * limit), so a run's drift events cost a few requests, not one per event.
   */
  async upsertMany(entities: readonly Entity[], options?: EntityOperationOptions): Promise<void> {
    const byPartition = new Map<string, Entity[]>();
    for (const e of entities) byPartition.set(e.partitionKey, [...(byPartition.get(e.partitionKey) ?? []), e]);
    for (const group of byPartition.values()) {
      // The last write of a key wins, as one-by-one upserts would; a transaction may not repeat a key.
      const unique = [...new Map(group.map((e) => [e.rowKey, e])).values()];
      for (let i = 0; i < unique.length; i += 100) {
        const actions = unique
          .slice(i, i + 100)
          .map((e) => ['upsert', toWire(e), 'Replace'] as ['upsert', TableEntity<Record<string, WireValue>>, 'Replace']);
        await this.client.submitTransaction(actions, signal(options));
      }
    }
  }

  async delete(partitionKey: string, rowKey: string, options?: EntityOperationOptions): Promise<void> {
    try {
      await this.client.deleteEntity(checkKey('partitionKey', partitionKey), checkKey('rowKey', rowKey), signal(options));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  async *list<T extends Entity = Entity>(options?: EntityListOptions): AsyncIterable<T> {
    // Each condition goes through the SDK's odata template, which quotes and escapes the value.
    const conditions: string[] = [];
    if (options?.partitionKey !== undefined) conditions.push(odata`PartitionKey eq ${options.partitionKey}`);
    if (options?.rowKeyFrom !== undefined) conditions.push(odata`RowKey ge ${options.rowKeyFrom}`);
    if (options?.rowKeyTo !== undefined) conditions.push(odata`RowKey lt ${options.rowKeyTo}`);
    const entities = this.client.listEntities<Record<string, unknown>>({
      ...signal(options),
      ...(conditions.length > 0 ? { queryOptions: { filter: conditions.join(' and ') } } : {}),
    });
    // The service answers in PartitionKey, RowKey order, up to 1,000 per page; the iterator follows
    // the continuation headers.
    for await (const raw of entities) yield fromWire<T>(raw);
  }
}

function requireEtag(response: { etag?: string }): string {
  if (!response.etag) throw new Error('Table storage returned no ETag');
  return response.etag;
}

/** The tables port on Azure Table storage (@azure/data-tables). */
export class AzureEntityStore implements EntityStore {
  private readonly tables = new Map<string, Promise<EntityTable>>();

  private constructor(
    readonly location: string,
    private readonly clientFor: (tableName: string) => TableClient,
  ) {}

  /** `url`: https://<account>.table.core.windows.net; credential defaults to DefaultAzureCredential. */
  static fromUrl(url: string, credential?: TokenCredential): AzureEntityStore {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      throw new ValidationError('tablesUrl', `Tables URL is not a URL: "${url}"`, { cause: err });
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new ValidationError('tablesUrl', `Tables URL must be https:// (http:// only for the emulator): "${url}"`);
    }
    const token = credential ?? defaultAzureCredential();
    return new AzureEntityStore(url, (name) => new TableClient(url, name, token));
  }

  /** For Azurite and development accounts only (in Azure use fromUrl with managed identity). */
  static fromConnectionString(connectionString: string): AzureEntityStore {
    const probe = TableClient.fromConnectionString(connectionString, 'probe', { allowInsecureConnection: true });
    return new AzureEntityStore(probe.url.replace(/\/probe\/?$/, ''), (name) =>
      TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true }),
    );
  }

  /** For tests and custom pipelines: one TableClient per table name. */
  static fromClientFactory(location: string, clientFor: (tableName: string) => TableClient): AzureEntityStore {
    return new AzureEntityStore(location, clientFor);
  }

  table(name: string): Promise<EntityTable> {
    if (!tableNamePattern.test(name)) {
      return Promise.reject(new ValidationError('table', `Table name must be 3-63 letters or digits starting with a letter: "${name}"`));
    }
    let table = this.tables.get(name);
    if (!table) {
      const client = this.clientFor(name);
      // createTable ignores 409 TableAlreadyExists; a failed open is not cached, so it can be retried.
      table = client.createTable().then(() => new AzureEntityTable(name, client));
      table.catch(() => this.tables.delete(name));
      this.tables.set(name, table);
    }
    return table;
  }
}
