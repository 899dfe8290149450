import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EntityConflictError, ValidationError } from '../errors';
import type { Entity, EntityListOptions, EntityOperationOptions, EntityStore, EntityTable, StoredEntity } from './entityStore';

interface PartitionFile {
  partitionKey: string;
  entities: Record<string, { entity: Entity; etag: string }>;
}

/** The single-file layout of earlier versions: every partition of a table in `<table>.json`. */
interface LegacyTableFile {
  entities: Record<string, { entity: Entity; etag: string }>;
}

const tableNamePattern = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

/**
 * A partition key as a file name: hex of its UTF-8 bytes keeps any key safe; a key too long for a
 * file name (hex over 200 characters) is named by its SHA-256, the file holding the key itself.
 */
function fileNameOf(partitionKey: string): string {
  const hex = Buffer.from(partitionKey, 'utf8').toString('hex');
  return hex.length <= 200 ? `p${hex}.json` : `h${createHash('sha256').update(partitionKey).digest('hex')}.json`;
}

/**
 * One folder per table and one JSON file per partition under a state folder; a change rewrites
 * only its partition's file, atomically (temp + rename). So the cost of a write is bounded by its
 * partition (a run's drift events, a run's metrics), not by the table's whole history. Meant for one
 * local process; in Azure the Table storage adapter takes over. Operations on a table are
 * serialised so read-modify-write never interleaves within the process. A table still in the
 * one-file layout of earlier versions (`<table>.json`) is split into partition files on first use.
 */
class EmbeddedEntityTable implements EntityTable {
  private queue: Promise<unknown> = Promise.resolve();
  private migrated = false;

  constructor(
    readonly name: string,
    private readonly folder: string,
    private readonly legacyFile: string,
  ) {}

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = async () => {
      await this.migrate();
      return op();
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async migrate(): Promise<void> {
    if (this.migrated) return;
    let legacy: LegacyTableFile;
    try {
      legacy = JSON.parse(await fs.readFile(this.legacyFile, 'utf8')) as LegacyTableFile;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
      this.migrated = true;
      return;
    }
    const partitions = new Map<string, PartitionFile>();
    for (const [key, value] of Object.entries(legacy.entities)) {
      const pk = value.entity.partitionKey;
      const p = partitions.get(pk) ?? { partitionKey: pk, entities: {} };
      p.entities[key.slice(key.indexOf('\u0000') + 1)] = value;
      partitions.set(pk, p);
    }
    for (const p of partitions.values()) await this.save(p);
    await fs.rm(this.legacyFile, { force: true });
    this.migrated = true;
  }

  private async load(partitionKey: string): Promise<PartitionFile> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.folder, fileNameOf(partitionKey)), 'utf8')) as PartitionFile;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return { partitionKey, entities: {} };
      throw err;
    }
  }

  private async save(data: PartitionFile): Promise<void> {
    await fs.mkdir(this.folder, { recursive: true });
    const file = path.join(this.folder, fileNameOf(data.partitionKey));
    if (Object.keys(data.entities).length === 0) {
      await fs.rm(file, { force: true });
      return;
    }
    const tmp = `${file}.${randomUUID()}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(data));
    await fs.rename(tmp, file);
  }

  private async partitionKeys(): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.folder);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return [];
      throw err;
    }
    const keys: string[] = [];
    for (const name of names) {
      const short = /^p([0-9a-f]*)\.json$/.exec(name);
      if (short) keys.push(Buffer.from(short[1] as string, 'hex').toString('utf8'));
      else if (/^h[0-9a-f]{64}\.json$/.test(name))
        keys.push((JSON.parse(await fs.readFile(path.join(this.folder, name), 'utf8')) as PartitionFile).partitionKey);
    }
    return keys.sort();
  }

  async get<T extends Entity = Entity>(pk: string, rk: string): Promise<StoredEntity<T> | undefined> {
    const data = await this.serial(() => this.load(pk));
    const hit = data.entities[rk];
    return hit ? { entity: { ...(hit.entity as T) }, etag: hit.etag } : undefined;
  }

  insert(entity: Entity): Promise<string> {
    return this.serial(async () => {
      const data = await this.load(entity.partitionKey);
      if (data.entities[entity.rowKey]) throw new EntityConflictError(this.name, entity.partitionKey, entity.rowKey, 'exists');
      const etag = randomUUID();
      data.entities[entity.rowKey] = { entity: { ...entity }, etag };
      await this.save(data);
      return etag;
    });
  }

  replace(entity: Entity, options?: { ifMatch?: string }): Promise<string> {
    return this.serial(async () => {
      const data = await this.load(entity.partitionKey);
      const current = data.entities[entity.rowKey];
      if (options?.ifMatch !== undefined && current?.etag !== options.ifMatch) {
        throw new EntityConflictError(this.name, entity.partitionKey, entity.rowKey, 'etag');
      }
      const etag = randomUUID();
      data.entities[entity.rowKey] = { entity: { ...entity }, etag };
      await this.save(data);
      return etag;
    });
  }

  upsert(entity: Entity): Promise<string> {
    return this.replace(entity);
  }

  /** One write per partition touched, however many entities. */
  upsertMany(entities: readonly Entity[], _options?: EntityOperationOptions): Promise<void> {
    return this.serial(async () => {
      const byPartition = new Map<string, Entity[]>();
      for (const e of entities) byPartition.set(e.partitionKey, [...(byPartition.get(e.partitionKey) ?? []), e]);
      for (const [pk, group] of byPartition) {
        const data = await this.load(pk);
        for (const e of group) data.entities[e.rowKey] = { entity: { ...e }, etag: randomUUID() };
        await this.save(data);
      }
    });
  }

  delete(pk: string, rk: string): Promise<void> {
    return this.serial(async () => {
      const data = await this.load(pk);
      if (!data.entities[rk]) return;
      delete data.entities[rk];
      await this.save(data);
    });
  }

  async *list<T extends Entity = Entity>(options?: EntityListOptions): AsyncIterable<T> {
    // A partition's file is read only when its turn comes: listing a large table holds one partition.
    const keys = options?.partitionKey !== undefined ? [options.partitionKey] : await this.serial(() => this.partitionKeys());
    for (const pk of keys) {
      const data = await this.serial(() => this.load(pk));
      const rows = Object.values(data.entities)
        .map((e) => e.entity)
        .filter((e) => options?.rowKeyFrom === undefined || e.rowKey >= options.rowKeyFrom)
        .filter((e) => options?.rowKeyTo === undefined || e.rowKey < options.rowKeyTo)
        .sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
      for (const row of rows) yield { ...(row as T) };
    }
  }
}

export class EmbeddedEntityStore implements EntityStore {
  readonly location: string;
  private readonly tables = new Map<string, EmbeddedEntityTable>();

  private constructor(private readonly directory: string) {
    this.location = `file://${path.resolve(directory)}`;
  }

  static fromDirectory(directory: string): EmbeddedEntityStore {
    return new EmbeddedEntityStore(directory);
  }

  async table(name: string): Promise<EntityTable> {
    if (!tableNamePattern.test(name)) {
      throw new ValidationError('table', `Table name must be 3-63 letters or digits starting with a letter: "${name}"`);
    }
    let table = this.tables.get(name);
    if (!table) {
      table = new EmbeddedEntityTable(name, path.join(this.directory, name), path.join(this.directory, `${name}.json`));
      this.tables.set(name, table);
    }
    return table;
  }
}
