import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LakeConflictError, LakeLockLostError, LakeLockedError, LakeNotFoundError, ValidationError } from '../errors';
import type { LakeEntry, LakeListOptions, LakeLock, LakeLockHolder, LakeLockOptions, LakeStore } from './lakeStore';

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/**
 * The embedded lake: a folder on the local disk. Writes go to a temporary name in the same folder
 * and are then linked/renamed into place, so a crash never leaves a half-written object visible.
 */
export class FileSystemLake implements LakeStore {
  readonly location: string;
  private readonly root: string;

  private constructor(root: string) {
    this.root = path.resolve(root);
    this.location = `file://${this.root}`;
  }

  static fromDirectory(root: string): FileSystemLake {
    return new FileSystemLake(root);
  }

  private resolve(p: string): string {
    const normalized = path.posix.normalize(p.replace(/\\/g, '/'));
    if (normalized.startsWith('..') || path.posix.isAbsolute(normalized)) {
      throw new ValidationError('path', `Lake path must stay inside the lake root: "${p}"`);
    }
    return path.join(this.root, normalized);
  }

  async read(p: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.resolve(p));
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'EISDIR')) throw new LakeNotFoundError(p, { cause: err });
      throw err;
    }
  }

  async readStream(p: string): Promise<NodeJS.ReadableStream> {
    const full = this.resolve(p);
    try {
      const stat = await fs.stat(full);
      if (!stat.isFile()) throw new LakeNotFoundError(p);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new LakeNotFoundError(p, { cause: err });
      throw err;
    }
    return createReadStream(full);
  }

  async exists(p: string): Promise<boolean> {
    try {
      return (await fs.stat(this.resolve(p))).isFile();
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
      throw err;
    }
  }

  private async writeTemp(full: string, data: Uint8Array): Promise<string> {
    await fs.mkdir(path.dirname(full), { recursive: true });
    const tmp = path.join(path.dirname(full), `.${path.basename(full)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return tmp;
  }

  async putIfAbsent(p: string, data: Uint8Array): Promise<boolean> {
    const full = this.resolve(p);
    const tmp = await this.writeTemp(full, data);
    try {
      // link() fails with EEXIST when the target exists: an atomic create-if-absent.
      await fs.link(tmp, full);
      return true;
    } catch (err) {
      if (isErrno(err, 'EEXIST')) return false;
      throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async put(p: string, data: Uint8Array): Promise<void> {
    const full = this.resolve(p);
    const tmp = await this.writeTemp(full, data);
    try {
      await fs.rename(tmp, full);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async *list(prefix: string, options?: LakeListOptions): AsyncIterable<LakeEntry> {
    const recursive = options?.recursive ?? true;
    const start = this.resolve(prefix);
    const walk = async function* (dir: string, root: string): AsyncGenerator<LakeEntry> {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return;
        throw err;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (recursive) yield* walk(full, root);
        } else if (entry.isFile() && !(entry.name.startsWith('.') && entry.name.endsWith('.tmp'))) {
          const stat = await fs.stat(full);
          yield {
            path: path.relative(root, full).split(path.sep).join('/'),
            sizeInBytes: stat.size,
            lastModified: stat.mtime,
          };
        }
      }
    };
    yield* walk(start, this.root);
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.resolve(from);
    const dst = this.resolve(to);
    if (!(await this.exists(from))) throw new LakeNotFoundError(from);
    await fs.mkdir(path.dirname(dst), { recursive: true });
    try {
      // link + unlink gives rename-if-absent semantics (plain rename would overwrite).
      await fs.link(src, dst);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) throw new LakeConflictError(to, { cause: err });
      if (isErrno(err, 'ENOENT')) throw new LakeNotFoundError(from, { cause: err });
      throw err;
    }
    await fs.rm(src, { force: true });
  }

  async delete(p: string): Promise<void> {
    await fs.rm(this.resolve(p), { force: true });
  }

  /**
   * An exclusive lock file `{ holder, token }`, created atomically (put-if-absent). An expired one
   * is moved aside with rename (only one contender gets it) and checked to be the expired file
   * that was read, then the create is tried again.
   */
  async tryLock(p: string, options: LakeLockOptions): Promise<LakeLock> {
    const full = this.resolve(p);
    const token = randomBytes(12).toString('hex');
    const make = (): { holder: LakeLockHolder; text: string } => {
      const holder: LakeLockHolder = { ...options.holder, expiresAt: new Date(Date.now() + options.durationInMs).toISOString() };
      return { holder, text: JSON.stringify({ ...holder, token }) };
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      let mine = make();
      if (await this.putIfAbsent(p, Buffer.from(mine.text))) {
        const readBack = async (): Promise<string | undefined> => fs.readFile(full, 'utf8').catch(() => undefined);
        return {
          get holder() {
            return mine.holder;
          },
          renew: async () => {
            const now = await readBack();
            if (now === undefined || !now.includes(`"token":"${token}"`)) {
              throw new LakeLockLostError(p, `Lost the lake lock ${p}: another run took it over after it expired`);
            }
            const next = make();
            next.holder.acquiredAt = mine.holder.acquiredAt;
            next.text = JSON.stringify({ ...next.holder, token });
            await this.put(p, Buffer.from(next.text));
            mine = next;
          },
          release: async () => {
            const now = await readBack();
            if (now !== undefined && now.includes(`"token":"${token}"`)) await fs.rm(full, { force: true });
          },
        };
      }
      const text = await fs.readFile(full, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      let held: LakeLockHolder | undefined;
      try {
        held = JSON.parse(text) as LakeLockHolder;
      } catch {
        held = undefined;
      }
      const expired = held === undefined || !(Date.parse(held.expiresAt) > Date.now());
      if (!expired) throw new LakeLockedError(p, held);
      const aside = `${full}.expired-${token}`;
      try {
        await fs.rename(full, aside);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue;
        throw err;
      }
      const moved = await fs.readFile(aside, 'utf8');
      if (moved !== text) {
        // A contender's fresh lock was moved: put it back where it was and report it as the holder.
        await fs.link(aside, full).catch(() => undefined);
        await fs.rm(aside, { force: true });
        throw new LakeLockedError(p, JSON.parse(moved) as LakeLockHolder);
      }
      await fs.rm(aside, { force: true });
    }
    throw new LakeLockedError(p, undefined, `The lake lock ${p} is contended; try again`);
  }
}
