/**
 * The `rest` kind of orders source: the orders client (its timeouts, retries, Retry-After and run
 * budget) with the definition's paging, each page's records mapped to canonical lines before they
 * land in Bronze, the run's exactly-once parts and watermark as for the default source.
 */
import { OrdersClient, type OrdersClientOptions } from '../../ingest/ordersClient';
import { ingestOrdersRun, type OrdersIngestionOptions } from '../../ingest/ordersIngestion';
import type { IngestOrdersOutput } from '../../ingest/ingestOutputs';
import type { RestSourceDefinition } from '../definition';
import type { FieldBounds } from '../../validation/fields';
import { bronzeRecordFactsWith, createRecordMapper } from '../recordMapper';
import { restPaging } from './restPaging';

export interface RestSourceIngestionOptions extends Omit<OrdersIngestionOptions, 'client' | 'recordFacts'> {
  definition: RestSourceDefinition;
  shopTimeZone: string;
  client: Omit<OrdersClientOptions, 'source' | 'firstRequestUrl' | 'readPage' | 'authHeaderName'>;
  /** DEMAND_MAX_* / DEMAND_EARLIEST_DATE bounds: a line's times outside them never move the watermark. */
  fieldBounds?: Readonly<FieldBounds>;
}

/** The orders client of a REST definition (pages as received: orders, not yet lines). */
export function restSourceClient(
  source: string,
  definition: RestSourceDefinition,
  options: RestSourceIngestionOptions['client'],
): OrdersClient {
  const pageSize = definition.pageSize ?? options.pageSize;
  const paging = restPaging(definition, options.url, pageSize);
  return OrdersClient.fromOptions({
    ...options,
    source,
    pageSize,
    authHeaderName: definition.authHeader,
    firstRequestUrl: (since) => paging.firstRequestUrl(since),
    readPage: (body, headers, url) => paging.readPage(body, headers, url),
  });
}

export async function ingestRestSource(options: RestSourceIngestionOptions): Promise<IngestOrdersOutput> {
  const client = restSourceClient(options.source, options.definition, options.client);
  const mapper = createRecordMapper(options.definition, options.shopTimeZone);
  const { fieldBounds, ...runOptions } = options;
  return ingestOrdersRun({
    ...runOptions,
    client: {
      fetchPage: async (page, token, since, abortSignal) => {
        const fetched = await client.fetchPage(page, token, since, abortSignal);
        return { ...fetched, items: fetched.items.flatMap((item) => mapper.map(item)) };
      },
    },
    recordFacts: bronzeRecordFactsWith({ ...(fieldBounds ? { bounds: fieldBounds } : {}), ...(options.now ? { now: options.now } : {}) }),
  });
}
