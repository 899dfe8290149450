/**
 * Source definitions as data: a JSON document says where the records of a source are (a lake
 * folder of exported files, or a paged REST API) and how each maps onto the canonical order line.
 * Validated with zod; docs/schemas/orders-source.schema.json is generated from this schema and
 * docs/sources.md documents every key.
 */
import { z } from 'zod';
import { orderLineStatuses } from '../orders/canonicalOrderLine';

const path = z
  .string()
  .min(1)
  .describe('a column name, or a dotted path into the record (a line item of an order: `order.<path>` reaches the order)');

/** A field spec without alternatives. */
const singleFieldSpec = z.union([
  path,
  z.strictObject({ value: z.union([z.string(), z.number(), z.boolean(), z.null()]).describe('a constant for every record') }),
  z.strictObject({
    path,
    map: z
      .record(z.string(), z.union([z.string(), z.number(), z.null()]))
      .optional()
      .describe('source value → canonical value (e.g. statuses); matched exactly, then case-insensitively'),
    default: z.union([z.string(), z.number(), z.null()]).optional().describe('used when the value is absent, empty or not in `map`'),
    whenPresent: z
      .union([z.string(), z.number()])
      .optional()
      .describe('the value when the path holds anything non-empty (e.g. `cancelled_at` → "cancelled")'),
    format: z
      .string()
      .min(1)
      .optional()
      .describe(
        'timestamps: `auto` (ISO 8601 with or without offset), `epoch-seconds`, `epoch-millis`, or a date-fns pattern such as `dd/MM/yyyy HH:mm`',
      ),
    timeZone: z
      .string()
      .min(1)
      .optional()
      .describe("timestamps without an offset are read in this IANA zone (default: the source's timeZone)"),
  }),
]);

export const fieldSpecSchema = z.union([
  singleFieldSpec,
  z.array(singleFieldSpec).min(1).describe('alternatives: the first that gives a value wins'),
]);
export type FieldSpec = z.infer<typeof fieldSpecSchema>;
export type SingleFieldSpec = z.infer<typeof singleFieldSpec>;

export const orderFieldsSchema = z.strictObject({
  orderId: fieldSpecSchema,
  lineId: fieldSpecSchema,
  sku: fieldSpecSchema,
  quantity: fieldSpecSchema,
  unitPrice: fieldSpecSchema,
  orderedAt: fieldSpecSchema,
  status: fieldSpecSchema.default({ value: 'placed' }).describe(`mapped to one of ${orderLineStatuses.join(', ')}`),
  customerId: fieldSpecSchema.optional(),
  currency: fieldSpecSchema.optional(),
  description: fieldSpecSchema.optional(),
  category: fieldSpecSchema.optional(),
  location: fieldSpecSchema.optional(),
  updatedAt: fieldSpecSchema.optional().describe('when the source last changed the order; REST watermarks use it (default: orderedAt)'),
});
export type OrderFields = z.infer<typeof orderFieldsSchema>;

const common = {
  $schema: z.string().optional(),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _')
    .optional()
    .describe('source name: Bronze folder and watermark key (default "orders")'),
  description: z.string().optional(),
  timeZone: z.string().min(1).default('UTC').describe('IANA zone of timestamps written without an offset'),
  shopTimeZone: z
    .string()
    .min(1)
    .optional()
    .describe('IANA zone whose calendar days demand is counted in (default: setting DEMAND_SHOP_TIME_ZONE, else timeZone)'),
  ruleSet: z
    .enum(['order-status', 'online-retail'])
    .default('order-status')
    .describe('cleansing rules: `order-status` uses the status field; `online-retail` the UCI invoice-prefix rules'),
  fields: orderFieldsSchema,
};

export const fileFormats = ['csv', 'ndjson', 'parquet'] as const;

export const filesSourceSchema = z.strictObject({
  kind: z.literal('files'),
  folder: z.string().min(1).describe('lake folder the files land in (processed/ and rejected/ are made below it)'),
  format: z.enum(fileFormats).optional().describe('default: from the extension (.csv, .ndjson/.jsonl, .parquet, each optionally .gz)'),
  delimiter: z.string().length(1).optional().describe('CSV delimiter (default ,)'),
  ...common,
});

const pagingSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('cursor'),
    cursorParam: z.string().min(1).default('cursor'),
    nextCursorPath: z.string().min(1).default('nextCursor').describe('body path of the next cursor (absent, null or empty: last page)'),
    nextLinkPath: z.string().min(1).optional().describe('body path of a next-page URL, used when there is no cursor'),
  }),
  z.strictObject({ kind: z.literal('link').describe('RFC 8288 Link header rel="next" (Shopify page_info)') }),
  z.strictObject({
    kind: z.literal('page'),
    pageParam: z.string().min(1).default('page'),
    firstPage: z.number().int().min(0).default(1),
    totalPagesHeader: z.string().min(1).optional().describe('e.g. X-WP-TotalPages; without it paging stops on an empty or short page'),
  }),
  z.strictObject({
    kind: z.literal('offset'),
    offsetParam: z.string().min(1).default('offset').describe('stops on an empty or short page'),
  }),
]);

export const restSourceSchema = z.strictObject({
  kind: z.literal('rest'),
  url: z.string().url().optional().describe('the orders collection URL (default: setting DEMAND_ORDERS_API_URL)'),
  items: z.string().default('items').describe('body path of the records; "" when the body is a bare array'),
  lineItems: z.string().min(1).optional().describe('path of the line items inside each record: one canonical line per item'),
  paging: pagingSchema.default({ kind: 'cursor', cursorParam: 'cursor', nextCursorPath: 'nextCursor', nextLinkPath: 'next' }),
  limitParam: z.string().min(1).default('limit'),
  pageSize: z.number().int().min(1).max(10_000).optional().describe('default: setting DEMAND_ORDERS_PAGE_SIZE'),
  query: z.record(z.string(), z.string()).default({}).describe('constant query parameters of the first request (e.g. status=any)'),
  watermark: z
    .strictObject({
      param: z.string().min(1).describe('query parameter of the first request, e.g. updated_at_min'),
      format: z.enum(['iso', 'iso-millis', 'epoch-seconds']).default('iso').describe('`iso`: 2024-01-02T03:04:05Z'),
    })
    .default({ param: 'since', format: 'iso' }),
  authHeader: z
    .string()
    .min(1)
    .default('authorization')
    .describe('header that carries DEMAND_ORDERS_AUTH_HEADER (or the managed-identity token)'),
  ...common,
});

export const ordersSourceSchema = z.discriminatedUnion('kind', [filesSourceSchema, restSourceSchema]);
export type OrdersSourceDefinition = z.infer<typeof ordersSourceSchema>;
export type FilesSourceDefinition = z.infer<typeof filesSourceSchema>;
export type RestSourceDefinition = z.infer<typeof restSourceSchema>;
export type PagingDefinition = z.infer<typeof pagingSchema>;
