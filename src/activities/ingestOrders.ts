import { OrdersClient } from '../lib/ingest/ordersClient';
import { ingestOrdersRun } from '../lib/ingest/ordersIngestion';
import { OrdersWatermarks } from '../lib/ingest/watermarks';
import { ValidationError } from '../lib/errors';
import { ingestOrderFiles } from '../lib/sources/files/ingestOrderFiles';
import { resolveOrdersSource } from '../lib/sources/ordersSource';
import { ingestRestSource } from '../lib/sources/rest/ingestRestSource';
import { fieldBoundsFromSettings } from '../lib/validation/fields';
import { asOnlyWriter } from './writerStage';
import type { IngestOrdersInput, IngestOrdersOutput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { signalOf } from '../lib/pipelineServices';

/** A source definition's run (DEMAND_ORDERS_SOURCE other than online-retail): files or REST, mapped to canonical lines. */
async function ingestDefinedSource(input: IngestOrdersInput, services: PipelineServices): Promise<IngestOrdersOutput | undefined> {
  const resolved = await resolveOrdersSource(services.settings);
  if (resolved.kind !== 'definition') return undefined;
  const { definition, shopTimeZone } = resolved;
  const source = definition.name ?? (input.source || 'orders');
  const common = {
    source,
    runId: input.runId,
    runDate: input.runDate,
    lake: services.lake,
    log: services.log,
    fieldBounds: fieldBoundsFromSettings(services.settings),
    ...signalOf(services),
  };
  if (definition.kind === 'files') return ingestOrderFiles({ ...common, definition, shopTimeZone });
  const { settings } = services;
  const url = definition.url ?? settings.DEMAND_ORDERS_API_URL;
  if (!url) {
    throw new ValidationError(
      'DEMAND_ORDERS_API_URL',
      `Orders source ${resolved.loaded.origin} is a REST source without "url": set DEMAND_ORDERS_API_URL (or --orders-api-url) to its orders collection URL`,
    );
  }
  const authorization = services.adapters.ordersAuthorization(settings);
  return ingestRestSource({
    ...common,
    definition,
    shopTimeZone,
    watermarks: await OrdersWatermarks.fromEntityStore(services.entities),
    overlapMinutes: settings.DEMAND_ORDERS_OVERLAP_MINUTES,
    pagesPerPart: settings.DEMAND_ORDERS_PAGES_PER_PART,
    ...(services.progress ? { progress: services.progress } : {}),
    client: {
      url,
      pageSize: settings.DEMAND_ORDERS_PAGE_SIZE,
      requestTimeoutInMs: settings.DEMAND_ORDERS_REQUEST_TIMEOUT_MS,
      retryBudgetInMs: settings.DEMAND_ORDERS_RETRY_BUDGET_MS,
      ...(authorization ? { authorization } : {}),
      onRetry: (e) => services.log(`orders "${e.source}" page ${e.page}: ${e.outcome}; retry ${e.attempt} in ${e.delayInMs} ms`),
    },
  });
}

/**
 * Activity: new order lines of one source from the orders REST API into Bronze, exactly once per
 * run id, then the source's watermark. Settings: DEMAND_ORDERS_API_URL (the orders collection URL),
 * DEMAND_ORDERS_PAGE_SIZE, DEMAND_ORDERS_PAGES_PER_PART, DEMAND_ORDERS_AUTH_HEADER or
 * DEMAND_ORDERS_AUTH_SCOPE, DEMAND_ORDERS_OVERLAP_MINUTES, DEMAND_ORDERS_RETRY_BUDGET_MS,
 * DEMAND_ORDERS_REQUEST_TIMEOUT_MS.
 * DEMAND_ORDERS_SOURCE other than `online-retail` reads a source definition instead (docs/sources.md).
 * An unset DEMAND_ORDERS_API_URL skips orders (as infra/bicep/main.bicep documents for an empty
 * URL): an empty output, watermark untouched, reported as problem `orders_source_not_configured`.
 */
export async function ingestOrders(input: IngestOrdersInput, services: PipelineServices): Promise<IngestOrdersOutput> {
  return asOnlyWriter(services, input.runId, 'ingestOrders', () => ingestOrdersLocked(input, services));
}

async function ingestOrdersLocked(input: IngestOrdersInput, services: PipelineServices): Promise<IngestOrdersOutput> {
  const defined = await ingestDefinedSource(input, services);
  if (defined) return defined;
  const { settings } = services;
  const url = settings.DEMAND_ORDERS_API_URL;
  const source = input.source || 'orders';
  const watermarks = await OrdersWatermarks.fromEntityStore(services.entities);
  if (!url) {
    const ops = signalOf(services);
    const watermark = (await watermarks.get(source, ops)).watermark?.lastOrderTimestamp ?? null;
    services.log(
      `orders "${source}": skipped, DEMAND_ORDERS_API_URL is not set (no orders source configured); watermark ${watermark ?? '(none)'} unchanged`,
    );
    return {
      source,
      pages: 0,
      records: 0,
      quantitySum: 0,
      batches: [],
      problems: { orders_source_not_configured: 1 },
      watermarkBefore: watermark,
      watermarkAfter: watermark,
    };
  }
  const authorization = services.adapters.ordersAuthorization(settings);
  const client = OrdersClient.fromOptions({
    source,
    url,
    pageSize: settings.DEMAND_ORDERS_PAGE_SIZE,
    requestTimeoutInMs: settings.DEMAND_ORDERS_REQUEST_TIMEOUT_MS,
    retryBudgetInMs: settings.DEMAND_ORDERS_RETRY_BUDGET_MS,
    ...(authorization ? { authorization } : {}),
    onRetry: (e) => services.log(`orders "${e.source}" page ${e.page}: ${e.outcome}; retry ${e.attempt} in ${e.delayInMs} ms`),
  });
  return ingestOrdersRun({
    source,
    runId: input.runId,
    runDate: input.runDate,
    client,
    lake: services.lake,
    watermarks,
    overlapMinutes: settings.DEMAND_ORDERS_OVERLAP_MINUTES,
    pagesPerPart: settings.DEMAND_ORDERS_PAGES_PER_PART,
    log: services.log,
    ...(services.progress ? { progress: services.progress } : {}),
    ...signalOf(services),
  });
}
