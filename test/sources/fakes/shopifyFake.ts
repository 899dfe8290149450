/**
 * A fake of Shopify's Admin REST `GET /admin/api/2024-10/orders.json`, from its public docs:
 * the access token in X-Shopify-Access-Token; `status=any` needed to list cancelled/closed orders
 * (default `open`); `updated_at_min` filter; cursor paging through the `Link` header only
 * (`<…?limit=n&page_info=…>; rel="next"`, plus rel="previous" after the first page), where a
 * request with page_info may carry no other filter (400 otherwise); a limit of at most 250 (here
 * `maxPerPage`); 429 with `Retry-After: 2.0` when throttled. Order and line item fields as in the
 * docs' example order (ids as numbers, prices as strings, ISO times with the shop's offset).
 */
import { startFake, type FakeAnswer } from './httpFake';

export interface ShopifyOrder {
  id: number;
  created_at: string;
  updated_at: string;
  cancelled_at: string | null;
  financial_status: string;
  currency: string;
  customer: { id: number } | null;
  shipping_address?: { country_code: string };
  line_items: Array<{
    id: number;
    variant_id: number | null;
    product_id: number | null;
    sku: string | null;
    title: string;
    quantity: number;
    price: string;
  }>;
}

export const shopifyToken = 'shpat_test_token';
const apiPath = '/admin/api/2024-10/orders.json';

export async function startShopifyFake(orders: ShopifyOrder[], options: { maxPerPage: number; throttleRequest?: number }) {
  let served = 0;
  const cursors = new Map<string, { from: number; filtered: ShopifyOrder[] }>();
  const fake = await startFake((req, base): FakeAnswer => {
    served += 1;
    if (req.url.pathname !== apiPath) return { status: 404, body: { errors: 'Not Found' } };
    if (req.headers['x-shopify-access-token'] !== shopifyToken)
      return { status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } };
    if (served === options.throttleRequest)
      return {
        status: 429,
        headers: { 'retry-after': '0.2' },
        body: { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' },
      };
    const q = req.url.searchParams;
    const limit = Math.min(Number(q.get('limit') ?? 50), options.maxPerPage);
    let state: { from: number; filtered: ShopifyOrder[] };
    const pageInfo = q.get('page_info');
    if (pageInfo) {
      const extra = [...q.keys()].filter((k) => k !== 'page_info' && k !== 'limit' && k !== 'fields');
      if (extra.length > 0)
        return { status: 400, body: { errors: { page_info: [`${extra[0]} cannot be passed when page_info is present`] } } };
      const found = cursors.get(pageInfo);
      if (!found) return { status: 400, body: { errors: { page_info: ['Invalid value.'] } } };
      state = found;
    } else {
      const min = q.get('updated_at_min');
      const status = q.get('status') ?? 'open';
      const filtered = orders
        .filter((o) => (min ? Date.parse(o.updated_at) >= Date.parse(min) : true))
        .filter((o) => status === 'any' || (status === 'open' && o.cancelled_at === null))
        .sort((a, b) => a.id - b.id);
      state = { from: 0, filtered };
    }
    const page = state.filtered.slice(state.from, state.from + limit);
    const links: string[] = [];
    if (state.from > 0) {
      const prev = `p${cursors.size + 1}`;
      cursors.set(prev, { from: Math.max(0, state.from - limit), filtered: state.filtered });
      links.push(`<${base}${apiPath}?limit=${limit}&page_info=${prev}>; rel="previous"`);
    }
    if (state.from + limit < state.filtered.length) {
      const next = `n${cursors.size + 1}`;
      cursors.set(next, { from: state.from + limit, filtered: state.filtered });
      links.push(`<${base}${apiPath}?limit=${limit}&page_info=${next}>; rel="next"`);
    }
    return { status: 200, headers: links.length ? { link: links.join(', ') } : {}, body: { orders: page } };
  });
  return { ...fake, url: `${fake.base}${apiPath}` };
}
