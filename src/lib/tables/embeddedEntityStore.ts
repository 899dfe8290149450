import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EntityConflictError, ValidationError } from '../errors';
import type { Entity, EntityListOptions, EntityStore, EntityTable, StoredEntity } from './entityStore';

interface TableFile {
  entities: Record<string, { entity: Entity; etag: string }>;
}

const tableNamePattern = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

function keyOf(pk: string, rk: string): string {
  return `${pk}\u0000${rk}`;
}

/**
 * One JSON file per table under a state folder, rewritten atomically (temp + rename) on every change.
 * Meant for one local process; in Azure the Table storage adapter takes over. Operations on a table
 * are serialised so read-modify-write never interleaves within the process.
 */
class EmbeddedEntityTable implements EntityTable {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly file: string,
  ) {}

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<TableFile> {
    try {
      return JSON.parse(await fs.readFile(this.file, 'utf8')) as TableFile;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return { entities: {} };
      throw err;
    }
  }

  private async save(data: TableFile): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${randomUUID()}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(data));
    await fs.rename(tmp, this.file);
  }

  async get<T extends Entity = Entity>(pk: string, rk: string): Promise<StoredEntity<T> | undefined> {
    const data = await this.serial(() => this.load());
    const hit = data.entities[keyOf(pk, rk)];
    return hit ? { entity: { ...(hit.entity as T) }, etag: hit.etag } : undefined;
  }

  insert(entity: Entity): Promise<string> {
    return this.serial(async () => {
      const data = await this.load();
      const key = keyOf(entity.partitionKey, entity.rowKey);
      if (data.entities[key]) throw new EntityConflictError(this.name, entity.partitionKey, entity.rowKey, 'exists');
      const etag = randomUUID();
      data.entities[key] = { entity: { ...entity }, etag };
      await this.save(data);
      return etag;
    });
  }

  replace(entity: Entity, options?: { ifMatch?: string }): Promise<string> {
    return this.serial(async () => {
      const data = await this.load();
      const key = keyOf(entity.partitionKey, entity.rowKey);
      const current = data.entities[key];
      if (options?.ifMatch !== undefined && current?.etag !== options.ifMatch) {
        throw new EntityConflictError(this.name, entity.partitionKey, entity.rowKey, 'etag');
      }
      const etag = randomUUID();
      data.entities[key] = { entity: { ...entity }, etag };
      await this.save(data);
      return etag;
    });
  }

  upsert(entity: Entity): Promise<string> {
    return this.replace(entity);
  }

  delete(pk: string, rk: string): Promise<void> {
    return this.serial(async () => {
      const data = await this.load();
      delete data.entities[keyOf(pk, rk)];
      await this.save(data);
    });
  }

  async *list<T extends Entity = Entity>(options?: EntityListOptions): AsyncIterable<T> {
    const data = await this.serial(() => this.load());
    const rows = Object.values(data.entities)
      .map((e) => e.entity)
      .filter((e) => options?.partitionKey === undefined || e.partitionKey === options.partitionKey)
      .filter((e) => options?.rowKeyFrom === undefined || e.rowKey >= options.rowKeyFrom)
      .filter((e) => options?.rowKeyTo === undefined || e.rowKey < options.rowKeyTo)
      .sort((a, b) => (keyOf(a.partitionKey, a.rowKey) < keyOf(b.partitionKey, b.rowKey) ? -1 : 1));
    for (const row of rows) yield { ...(row as T) };
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
      table = new EmbeddedEntityTable(name, path.join(this.directory, `${name}.json`));
      this.tables.set(name, table);
    }
    return table;
  }
}
