import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { OrderRecord } from '../ingest/orderRecord';
import { FaultInjector, type FaultPlan } from './faultPlan';
import { ArrayOrderedSource, StreamOrderedSource, type OrderedSource, type OrderKey, type StreamStart } from './orderedSource';

export type { FaultPlan, FaultKind } from './faultPlan';

export interface OrdersApiOptions {
  /** An array (sorted here), a factory (streamed, must yield in (InvoiceDate, orderLineId) order), or an async iterable (read into memory once). */
  records: AsyncIterable<OrderRecord> | OrderRecord[] | ((start: StreamStart) => AsyncIterable<OrderRecord>);
  host?: string;
  port?: number;
  faults?: FaultPlan;
  /** Largest `limit` accepted (default 10000). */
  pageSizeMax?: number;
  /** `limit` when the request has none (default 100). */
  defaultPageSize?: number;
}

export interface OrdersApi {
  /** The orders collection URL, e.g. http://127.0.0.1:41234/orders (the DEMAND_ORDERS_API_URL). */
  url: string;
  /** Faults injected so far, by kind. */
  faultsInjected(): Record<string, number>;
  /** Page requests answered, faulted or not. */
  requests(): number;
  close(): Promise<void>;
}

interface CursorState {
  since: string | null;
  after: OrderKey;
}

class BadRequest extends Error {
  constructor(readonly parameter: string, message: string) {
    super(message);
  }
}

function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify({ v: 1, s: state.since, d: state.after[0], i: state.after[1] })).toString('base64url');
}

function decodeCursor(text: string): CursorState {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { v?: unknown; s?: unknown; d?: unknown; i?: unknown };
    if (value.v === 1 && typeof value.d === 'string' && typeof value.i === 'string' && (value.s === null || typeof value.s === 'string')) {
      return { since: value.s, after: [value.d, value.i] };
    }
  } catch {
    // fall through to the 400 below
  }
  throw new BadRequest('cursor', `cursor is not one this API issued: ${JSON.stringify(text.slice(0, 80))}`);
}

/** `since` as the InvoiceDate wall clock (`YYYY-MM-DD HH:MM:SS`); ISO 8601 instants are read in UTC. */
export function parseSince(text: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return `${text} 00:00:00`;
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) return text;
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(text) ? (/(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`) : '';
  const at = iso ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(at)) throw new BadRequest('since', `since must be an ISO 8601 date-time (e.g. 2011-01-31T00:00:00Z): ${JSON.stringify(text)}`);
  return new Date(at).toISOString().slice(0, 19).replace('T', ' ');
}

async function toSource(records: OrdersApiOptions['records']): Promise<OrderedSource> {
  if (Array.isArray(records)) return ArrayOrderedSource.fromRecords(records);
  if (typeof records === 'function') return StreamOrderedSource.fromFactory(records);
  const all: OrderRecord[] = [];
  for await (const record of records) all.push(record);
  return ArrayOrderedSource.fromRecords(all);
}

/**
 * A local orders REST API over order lines, shaped like the order APIs of e-commerce platforms:
 *
 *   GET /orders?since=<ISO 8601>&limit=<n>      first page: lines with InvoiceDate >= since
 *   GET /orders?cursor=<opaque>&limit=<n>       following pages (the cursor carries the filter)
 *
 * answers `{ items: OrderRecord[], nextCursor: string | null, next: string | null }` plus an RFC 8288
 * `Link: <…>; rel="next"` header, in the stable order (InvoiceDate, orderLineId); the last page has
 * nextCursor null. Bad parameters get 400 `{ error: { code, parameter, message } }`. A seeded fault
 * plan makes it misbehave like a real API (429 + Retry-After, 500/503, slow answers, resets,
 * truncated or HTML bodies) on pages chosen by the seed.
 */
export async function startOrdersApi(options: OrdersApiOptions): Promise<OrdersApi> {
  const source = await toSource(options.records);
  const pageSizeMax = options.pageSizeMax ?? 10_000;
  const defaultPageSize = Math.min(options.defaultPageSize ?? 100, pageSizeMax);
  const faults = options.faults ? FaultInjector.fromPlan(options.faults) : undefined;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  // The last few pages served, so a retry after a fault that hit the response does not rescan a stream.
  const pageCache = new Map<string, string>();
  let requests = 0;

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const pageBody = async (url: URL, origin: string): Promise<{ body: string; link?: string }> => {
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? defaultPageSize : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > pageSizeMax) {
      throw new BadRequest('limit', `limit must be an integer from 1 to ${pageSizeMax}: ${JSON.stringify(limitText)}`);
    }
    const cursorText = url.searchParams.get('cursor');
    const sinceText = url.searchParams.get('since');
    const cursor = cursorText !== null ? decodeCursor(cursorText) : undefined;
    const since = cursor ? cursor.since : sinceText !== null ? parseSince(sinceText) : null;
    const cacheKey = `${cursorText ?? ''}|${since ?? ''}|${limit}`;
    const cached = pageCache.get(cacheKey);
    if (cached !== undefined) return JSON.parse(cached) as { body: string; link?: string };

    const { items, hasMore } = await source.slice({ since, after: cursor?.after ?? null, count: limit });
    const last = items.at(-1);
    const nextCursor = hasMore && last ? encodeCursor({ since, after: [last.InvoiceDate, last.orderLineId] }) : null;
    const next = nextCursor ? `${origin}/orders?cursor=${nextCursor}&limit=${limit}` : null;
    const result = { body: JSON.stringify({ items, nextCursor, next }), ...(next ? { link: `<${next}>; rel="next"` } : {}) };
    pageCache.set(cacheKey, JSON.stringify(result));
    if (pageCache.size > 4) pageCache.delete(pageCache.keys().next().value as string);
    return result;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/orders') return sendJson(res, 404, { error: { code: 'not_found', message: `No route ${url.pathname}; try /orders` } });
    if (req.method !== 'GET') return sendJson(res, 405, { error: { code: 'method_not_allowed', message: 'Only GET' } }, { allow: 'GET' });
    requests++;
    const fault = faults?.next(`${url.searchParams.get('cursor') ?? `since=${url.searchParams.get('since') ?? ''}`}|${url.searchParams.get('limit') ?? ''}`);
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'throttle') {
      return sendJson(res, 429, { error: { code: 'rate_limited', message: 'Too many requests' } }, { 'retry-after': String(faults?.retryAfterSeconds ?? 1) });
    }
    if (fault === 'error500') return sendJson(res, 500, { error: { code: 'internal', message: 'Internal server error' } });
    if (fault === 'error503') return sendJson(res, 503, { error: { code: 'unavailable', message: 'Service unavailable' } });
    if (fault === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    }
    const origin = `http://${req.headers.host ?? 'localhost'}`;
    let page: { body: string; link?: string };
    try {
      page = await pageBody(url, origin);
    } catch (err) {
      if (err instanceof BadRequest) return sendJson(res, 400, { error: { code: 'invalid_parameter', parameter: err.parameter, message: err.message } });
      throw err;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...(page.link ? { link: page.link } : {}) };
    if (fault === 'truncated') {
      // A body cut short by a proxy or a dying upstream: complete HTTP, incomplete JSON.
      res.writeHead(200, headers);
      res.end(page.body.slice(0, Math.floor(page.body.length / 2)));
      return;
    }
    const send = (): void => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(page.body)) });
      res.end(page.body);
    };
    if (fault === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, faults?.slowDelayInMs ?? 2000);
      timers.add(timer);
      return;
    }
    send();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/orders`,
    faultsInjected: () => ({ ...(faults?.injected ?? {}) }),
    requests: () => requests,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
