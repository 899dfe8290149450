import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** The part files of the dashboard a write replaces: its folder and each file's content hash. */
export interface EarlierParts {
  dir: string;
  hashes: Readonly<Record<string, string>>;
}

/**
 * Writes part files into a new parts folder, compare-before-write: a file whose content hash equals
 * the same-named file of the earlier folder is hard-linked from there instead of written again (a
 * re-forecast of a few SKUs rewrites only their chunks). Part files are never changed in place, so
 * a link shares immutable bytes; where linking fails (another volume, no hard links) it is written.
 */
export class PartWriter {
  readonly hashes: Record<string, string> = {};
  written = 0;
  linked = 0;

  constructor(
    private readonly dir: string,
    private readonly earlier: EarlierParts | undefined,
  ) {}

  async write(file: string, text: string): Promise<void> {
    const hash = createHash('sha1').update(text).digest('hex');
    this.hashes[file] = hash;
    const target = path.join(this.dir, file);
    if (this.earlier && this.earlier.hashes[file] === hash) {
      try {
        await fs.link(path.join(this.earlier.dir, file), target);
        this.linked += 1;
        return;
      } catch {
        // the earlier file is gone or cannot be linked: write it
      }
    }
    await fs.writeFile(target, text, 'utf8');
    this.written += 1;
  }
}
