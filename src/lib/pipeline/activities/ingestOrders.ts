import { authorizationFromSettings } from '../../ingest/authorization';
import { OrdersClient } from '../../ingest/ordersClient';
import { ingestOrdersRun } from '../../ingest/ordersIngestion';
import { OrdersWatermarks } from '../../ingest/watermarks';
import { asOnlyWriter } from './writerStage';
import type { IngestOrdersInput, IngestOrdersOutput, PipelineServices } from '../contracts';

/**
 * Activity: new order lines of one source from the orders REST API into Bronze, exactly once per
 * run id, then the source's watermark. Settings: DEMAND_ORDERS_API_URL (the orders collection URL),
 * DEMAND_ORDERS_PAGE_SIZE, DEMAND_ORDERS_PAGES_PER_PART, DEMAND_ORDERS_AUTH_HEADER or
 * DEMAND_ORDERS_AUTH_SCOPE, DEMAND_ORDERS_OVERLAP_MINUTES, DEMAND_ORDERS_RETRY_BUDGET_MS,
 * DEMAND_ORDERS_REQUEST_TIMEOUT_MS.
 * An unset DEMAND_ORDERS_API_URL skips orders (as infra/bicep/main.bicep documents for an empty
 * URL): an empty output, watermark untouched, reported as problem `orders_source_not_configured`.
 */
export async function ingestOrders(input: IngestOrdersInput, services: PipelineServices): Promise<IngestOrdersOutput> {
  return asOnlyWriter(services, input.runId, 'ingestOrders', () => ingestOrdersLocked(input, services));
}

async function ingestOrdersLocked(input: IngestOrdersInput, services: PipelineServices): Promise<IngestOrdersOutput> {
  const { settings } = services;
  const url = settings.DEMAND_ORDERS_API_URL;
  const source = input.source || 'orders';
  const watermarks = await OrdersWatermarks.fromEntityStore(services.entities);
  if (!url) {
    const ops = services.abortSignal ? { abortSignal: services.abortSignal } : {};
    const watermark = (await watermarks.get(source, ops)).watermark?.lastOrderTimestamp ?? null;
    services.log(`orders "${source}": skipped, DEMAND_ORDERS_API_URL is not set (no orders source configured); watermark ${watermark ?? '(none)'} unchanged`);
    return { source, pages: 0, records: 0, quantitySum: 0, batches: [], problems: { orders_source_not_configured: 1 }, watermarkBefore: watermark, watermarkAfter: watermark };
  }
  const authorization = authorizationFromSettings(settings);
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
    ...(services.abortSignal ? { abortSignal: services.abortSignal } : {}),
  });
}
