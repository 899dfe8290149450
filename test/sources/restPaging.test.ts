import { parseSourceDefinition } from '../../src/lib/sources/loadDefinition';
import type { RestSourceDefinition } from '../../src/lib/sources/definition';
import { restPaging, watermarkParam } from '../../src/lib/sources/rest/restPaging';

const fields = { orderId: 'id', lineId: 'line', sku: 'sku', quantity: 'qty', unitPrice: 'price', orderedAt: 'at' };
const def = (extra: Record<string, unknown>): RestSourceDefinition =>
  parseSourceDefinition({ kind: 'rest', fields, ...extra }, 'test') as RestSourceDefinition;
const h = (headers: Record<string, string> = {}): Headers => new Headers(headers);
const url = 'https://api.example/v1/orders';

describe('REST paging kinds', () => {
  it('body cursor: items under a path, the cursor added to the request, a next link used when there is no cursor, end on neither', () => {
    const p = restPaging(
      def({
        items: 'data.orders',
        paging: { kind: 'cursor', cursorParam: 'after', nextCursorPath: 'meta.next', nextLinkPath: 'links.next' },
        watermark: { param: 'updated_since', format: 'epoch-seconds' },
        query: { state: 'all' },
      }),
      url,
      2,
    );
    const first = p.firstRequestUrl('2024-03-08T16:00:00Z');
    expect(first).toBe('https://api.example/v1/orders?state=all&limit=2&updated_since=1709913600');
    expect(p.readPage({ data: { orders: [1, 2] }, meta: { next: 'c2' } }, h(), first)).toEqual({
      items: [1, 2],
      nextToken: `${first}&after=c2`,
    });
    expect(p.readPage({ data: { orders: [3] }, links: { next: '/v1/orders?after=c3' } }, h(), first).nextToken).toBe(
      'https://api.example/v1/orders?after=c3',
    );
    expect(p.readPage({ data: { orders: [] }, meta: { next: null } }, h(), first).nextToken).toBeNull();
    expect(() => p.readPage([1, 2], h(), first)).toThrow(
      /no array at "items": "data.orders"; the body is a bare array \(set "items": ""\)/,
    );
  });

  it('page number without a total-pages header: stops on a short or empty page', () => {
    const p = restPaging(def({ items: '', paging: { kind: 'page', pageParam: 'p', firstPage: 0 } }), url, 2);
    const first = p.firstRequestUrl(null);
    expect(first).toBe('https://api.example/v1/orders?limit=2&p=0');
    const second = p.readPage([1, 2], h(), first).nextToken as string;
    expect(new URL(second).searchParams.get('p')).toBe('1');
    expect(p.readPage([3], h(), second).nextToken).toBeNull();
    expect(p.readPage([], h(), second).nextToken).toBeNull();
  });

  it('page number with a total-pages header: stops at the last page even when it is full', () => {
    const p = restPaging(def({ items: '', paging: { kind: 'page', totalPagesHeader: 'X-Total-Pages' } }), url, 2);
    const first = p.firstRequestUrl(null);
    const next = p.readPage([1, 2], h({ 'x-total-pages': '2' }), first).nextToken as string;
    expect(p.readPage([3, 4], h({ 'x-total-pages': '2' }), next).nextToken).toBeNull();
  });

  it('offset: advances by the items received, stops on a short page', () => {
    const p = restPaging(def({ items: 'results', paging: { kind: 'offset', offsetParam: 'skip' }, limitParam: 'take' }), url, 2);
    const first = p.firstRequestUrl(null);
    expect(first).toBe('https://api.example/v1/orders?take=2&skip=0');
    const next = p.readPage({ results: [1, 2] }, h(), first).nextToken as string;
    expect(new URL(next).searchParams.get('skip')).toBe('2');
    expect(p.readPage({ results: [3] }, h(), next).nextToken).toBeNull();
  });

  it('formats the watermark parameter', () => {
    expect(watermarkParam('2024-03-08T16:00:00Z', 'iso')).toBe('2024-03-08T16:00:00Z');
    expect(watermarkParam('2024-03-08T16:00:00Z', 'iso-millis')).toBe('2024-03-08T16:00:00.000Z');
  });
});
