import { openLakeTable } from '../delta';
import type { LakeStore } from '../lake/lakeStore';
import { lakeTables } from '../lakeTables';

/**
 * SKUs known to Silver's product catalogue, cached per table version so repeated HTTP calls cost
 * one log read, not a Parquet scan.
 */
export class SkuCatalog {
  private cached: { version: number; skus: Set<string> } | undefined;

  private constructor(private readonly lake: LakeStore) {}

  static fromLake(lake: LakeStore): SkuCatalog {
    return new SkuCatalog(lake);
  }

  async has(sku: string, options: { abortSignal?: AbortSignal } = {}): Promise<boolean> {
    const table = openLakeTable(this.lake, lakeTables.products);
    const version = await table.version(options);
    if (version < 0) return false;
    if (this.cached?.version !== version) {
      const rows = await table.readAll({ version, columns: ['sku'], ...options });
      this.cached = { version, skus: new Set(rows.map((r) => String(r['sku']))) };
    }
    return this.cached.skus.has(sku);
  }
}
