/**
 * The products and product_descriptions commits of a Silver build: the stored catalogue plus this
 * run's lines; untouched months are not re-read.
 */
import { lakeTables } from '../lakeTables';
import { crashPoint } from '../testing/crashPoints';
import { ProductCatalogue, type ProductDescriptionRow, type ProductRow } from './products';
import { silverTxn, silverWriteOptions, type SilverStartState, type SilverTables } from './silverTables';

export interface ProductsCommitContext {
  tables: SilverTables;
  startState: SilverStartState;
  runId: string;
  tieBreak: 'latest' | 'earliest';
  priorProducts: ReadonlyMap<string, ProductRow>;
  abortSignal?: AbortSignal;
}

export interface ProductsCommitResult {
  skus: number;
  products: number;
  productDescriptions: number;
}

/** The stored products of the start state, by SKU. */
export async function readPriorProducts(
  tables: SilverTables,
  startState: SilverStartState,
  abortSignal?: AbortSignal,
): Promise<Map<string, ProductRow>> {
  const prior = new Map<string, ProductRow>();
  if (!startState.products) return prior;
  for await (const row of tables.products.read({ state: startState.products, ...(abortSignal ? { abortSignal } : {}) })) {
    prior.set(String(row.sku), row as ProductRow);
  }
  return prior;
}

/**
 * The stored catalogue from the description counts. This run's descriptions are already in the
 * table when an earlier attempt stored them but stopped before `products`: its totals are added
 * again, its description counts not (`descriptionsCounted`).
 */
async function storedFromDescriptions(
  ctx: ProductsCommitContext,
): Promise<{ stored: ProductCatalogue; descriptionsCounted: boolean } | undefined> {
  const state = ctx.startState.productDescriptions;
  if (!state) return undefined;
  const descriptions: ProductDescriptionRow[] = [];
  for await (const row of ctx.tables.productDescriptions.read({ state, ...(ctx.abortSignal ? { abortSignal: ctx.abortSignal } : {}) }))
    descriptions.push(row as ProductDescriptionRow);
  const stored = ProductCatalogue.fromTables(ctx.priorProducts.values(), descriptions, ctx.tieBreak);
  const descriptionsTxn = silverTxn(ctx.runId, 'product_descriptions');
  return { stored, descriptionsCounted: (state.appTransactions.get(descriptionsTxn.appId) ?? -1) >= descriptionsTxn.version };
}

/** No description counts yet (a lake written before they were kept): rebuilt once from every stored line. */
async function storedFromOrderLines(ctx: ProductsCommitContext): Promise<ProductCatalogue> {
  const stored = new ProductCatalogue(ctx.tieBreak);
  const state = ctx.startState.orderLines;
  if (!state) return stored;
  for await (const row of ctx.tables.orderLines.read({
    state,
    columns: ['sku', 'description', 'quantity', 'order_date', 'order_ts', 'run_id'],
    ...(ctx.abortSignal ? { abortSignal: ctx.abortSignal } : {}),
  })) {
    if (row.run_id === ctx.runId) continue;
    stored.add({
      sku: String(row.sku),
      description: (row.description as string | null) ?? null,
      quantity: Number(row.quantity),
      orderDate: String(row.order_date),
      orderTs: new Date(String(row.order_ts)).toISOString(),
    });
  }
  return stored;
}

/** Merges this run's catalogue into the stored one and commits both tables; nothing is written when the run has no lines. */
export async function commitProducts(ctx: ProductsCommitContext, catalogue: ProductCatalogue): Promise<ProductsCommitResult> {
  const { tables, startState, runId, abortSignal } = ctx;
  if (catalogue.skus().length === 0) {
    return {
      skus: ctx.priorProducts.size,
      products: startState.products?.version ?? -1,
      productDescriptions: startState.productDescriptions?.version ?? -1,
    };
  }
  const fromDescriptions = await storedFromDescriptions(ctx);
  const stored = fromDescriptions?.stored ?? (await storedFromOrderLines(ctx));
  stored.merge(catalogue.entries(), { descriptions: !(fromDescriptions?.descriptionsCounted ?? false) });
  // Descriptions first: a stop between the two commits is what `descriptionsCounted` mends.
  // Both are overwritten from what was read at the start: another run's catalogue committed
  // since then is a conflict, not something to replace.
  const describedAs = await tables.productDescriptions.write(stored.descriptionRows(), {
    ...silverWriteOptions(lakeTables.product_descriptions, runId, 'overwrite', abortSignal),
    ...(startState.productDescriptions ? { readState: startState.productDescriptions } : {}),
  });
  crashPoint('silver:committed');
  const written = await tables.products.write(
    stored.skus().map((sku) => stored.row(sku) as ProductRow),
    {
      ...silverWriteOptions(lakeTables.products, runId, 'overwrite', abortSignal),
      ...(startState.products ? { readState: startState.products } : {}),
    },
  );
  crashPoint('silver:committed');
  return { skus: stored.skus().length, products: written.version, productDescriptions: describedAs.version };
}
