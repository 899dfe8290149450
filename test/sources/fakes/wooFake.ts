/**
 * A fake of WooCommerce's `GET /wp-json/wc/v3/orders`, from its public REST API docs: basic auth
 * with the consumer key and secret; the body a bare JSON array; `page` and `per_page` (at most 100,
 * here `maxPerPage`) with the X-WP-Total and X-WP-TotalPages headers; `modified_after` (ISO 8601,
 * GMT with `dates_are_gmt=true`); `orderby=modified&order=asc`. Order fields as in the docs'
 * example: status words, date_created (site time) and date_created_gmt, line_items with numeric price.
 */
import { startFake, type FakeAnswer } from './httpFake';

export interface WooOrder {
  id: number;
  status: string;
  currency: string;
  date_created: string;
  date_created_gmt: string;
  date_modified_gmt: string;
  customer_id: number;
  billing: { country: string };
  line_items: Array<{ id: number; name: string; product_id: number; variation_id: number; quantity: number; sku: string; price: number }>;
}

export const wooAuth = `Basic ${Buffer.from('ck_test:cs_test').toString('base64')}`;
const apiPath = '/wp-json/wc/v3/orders';

export async function startWooFake(orders: WooOrder[], options: { maxPerPage: number; throttleRequest?: number }) {
  let served = 0;
  const fake = await startFake((req): FakeAnswer => {
    served += 1;
    if (req.url.pathname !== apiPath)
      return {
        status: 404,
        body: { code: 'rest_no_route', message: 'No route was found matching the URL and request method.', data: { status: 404 } },
      };
    if (req.headers.authorization !== wooAuth)
      return {
        status: 401,
        body: { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status: 401 } },
      };
    if (served === options.throttleRequest)
      return {
        status: 429,
        headers: { 'retry-after': '0.2' },
        body: { code: 'too_many_requests', message: 'Too many requests', data: { status: 429 } },
      };
    const q = req.url.searchParams;
    const perPage = Math.min(Number(q.get('per_page') ?? 10), options.maxPerPage);
    const page = Number(q.get('page') ?? 1);
    const after = q.get('modified_after');
    const gmt = q.get('dates_are_gmt') === 'true';
    const filtered = orders
      .filter((o) => (after ? Date.parse(`${o.date_modified_gmt}Z`) > Date.parse(gmt ? after : `${after}Z`) : true))
      .sort(
        (a, b) => (q.get('orderby') === 'modified' ? a.date_modified_gmt.localeCompare(b.date_modified_gmt) : b.id - a.id) || a.id - b.id,
      );
    const totalPages = Math.max(1, Math.ceil(filtered.length / perPage));
    return {
      status: 200,
      headers: { 'x-wp-total': String(filtered.length), 'x-wp-totalpages': String(totalPages) },
      body: filtered.slice((page - 1) * perPage, page * perPage),
    };
  });
  return { ...fake, url: `${fake.base}${apiPath}` };
}
