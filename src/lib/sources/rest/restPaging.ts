/**
 * The paging of a REST source definition as the orders client's two hooks: the first request's
 * URL (constant query, page size, watermark parameter) and, from each page, its items and the next
 * page's URL. Every next page is a full URL on the collection's origin, so a resumed run (Bronze
 * manifests keep the next URL) continues exactly where the last committed part ended.
 */
import { linkNext } from '../../ingest/ordersClient';
import type { RestSourceDefinition } from '../definition';
import { valueAtPath } from '../fieldMapping';

export interface RestPaging {
  firstRequestUrl(since: string | null): string;
  readPage(body: unknown, headers: Headers, url: string): { items: unknown[]; nextToken: string | null };
}

/** The watermark as the API's parameter wants it; `since` is an ISO instant `…Z`. */
export function watermarkParam(since: string, format: RestSourceDefinition['watermark']['format']): string {
  const ms = Date.parse(since);
  if (format === 'epoch-seconds') return String(Math.floor(ms / 1000));
  if (format === 'iso-millis') return new Date(ms).toISOString();
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function itemsOf(body: unknown, path: string): unknown[] {
  const items = path === '' ? body : valueAtPath({ record: body }, path);
  if (!Array.isArray(items)) {
    const shape = Array.isArray(body)
      ? 'a bare array (set "items": "")'
      : typeof body === 'object' && body !== null
        ? `an object with keys ${Object.keys(body).slice(0, 8).join(', ') || '(none)'}`
        : typeof body;
    throw new Error(`body has no array at "items": ${JSON.stringify(path)}; the body is ${shape}`);
  }
  return items;
}

export function restPaging(definition: RestSourceDefinition, url: string, pageSize: number): RestPaging {
  const paging = definition.paging;
  const withParams = (base: string, params: Record<string, string>): string => {
    const u = new URL(base);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.toString();
  };
  return {
    firstRequestUrl(since) {
      const params: Record<string, string> = { ...definition.query, [definition.limitParam]: String(pageSize) };
      if (since !== null) params[definition.watermark.param] = watermarkParam(since, definition.watermark.format);
      if (paging.kind === 'page') params[paging.pageParam] = String(paging.firstPage);
      if (paging.kind === 'offset') params[paging.offsetParam] = '0';
      return withParams(url, params);
    },
    readPage(body, headers, requestUrl) {
      const items = itemsOf(body, definition.items);
      switch (paging.kind) {
        case 'link':
          return { items, nextToken: linkNext(headers.get('link')) };
        case 'cursor': {
          const cursor = valueAtPath({ record: body }, paging.nextCursorPath);
          if (typeof cursor === 'string' && cursor !== '')
            return { items, nextToken: withParams(requestUrl, { [paging.cursorParam]: cursor }) };
          if (typeof cursor === 'number') return { items, nextToken: withParams(requestUrl, { [paging.cursorParam]: String(cursor) }) };
          const link = paging.nextLinkPath ? valueAtPath({ record: body }, paging.nextLinkPath) : undefined;
          return { items, nextToken: typeof link === 'string' && link !== '' ? new URL(link, requestUrl).toString() : null };
        }
        case 'page': {
          const current = Number(new URL(requestUrl).searchParams.get(paging.pageParam) ?? paging.firstPage);
          const total = paging.totalPagesHeader ? Number(headers.get(paging.totalPagesHeader)) : NaN;
          const last =
            items.length === 0 ||
            (Number.isFinite(total) && headers.get(paging.totalPagesHeader as string) !== null
              ? current - paging.firstPage + 1 >= total
              : items.length < pageSize);
          return { items, nextToken: last ? null : withParams(requestUrl, { [paging.pageParam]: String(current + 1) }) };
        }
        case 'offset': {
          const offset = Number(new URL(requestUrl).searchParams.get(paging.offsetParam) ?? 0);
          return {
            items,
            nextToken:
              items.length === 0 || items.length < pageSize
                ? null
                : withParams(requestUrl, { [paging.offsetParam]: String(offset + items.length) }),
          };
        }
      }
    },
  };
}
