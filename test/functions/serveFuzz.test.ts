/**
 * `demand serve` under hostile requests, over real sockets: malformed percent-encoding, bad Host
 * headers, odd methods, bodies of any shape and depth. Property (fast-check, bounded): the server
 * answers every request with a documented status (never a 5xx), never echoes the Host header,
 * never shows a local path, and is still serving afterwards. Plus the named cases of the issue.
 */
import * as net from 'node:net';
import * as fc from 'fast-check';
import { localRoutes, serveRoutes, type LocalServer } from '../../src/cli/commands/serve';
import { LocalOrchestrationHost } from '../../src/host/localHost';
import { localPipelineClient } from '../../src/host/localPipelineClient';
import { loadSettings } from '../../src/lib/config/settings';
import { orchestrators } from '../../src/orchestrators';
import { fakeActivities } from '../orchestration/fakeActivities';

/** Statuses the routes document (README / docs): success, accepted, and the client errors. */
const documented = new Set([200, 202, 400, 404, 405, 413]);
const marker = 'evil-marker.example';

interface Raw {
  status: number;
  text: string;
}

/** Sends raw bytes (so any request target and Host can be sent) and reads the whole answer. */
function send(port: number, raw: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, text: data });
    });
    socket.end(raw);
  });
}

function request(method: string, target: string, options: { host?: string | null; body?: string } = {}): string {
  const body = options.body ?? '';
  const host = options.host === null ? '' : `host: ${options.host ?? '127.0.0.1'}\r\n`;
  return `${method} ${target} HTTP/1.1\r\n${host}connection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

describe('demand serve: hostile requests', () => {
  let server: LocalServer;
  let port: number;
  let started = 0;

  beforeAll(async () => {
    const { activities } = fakeActivities({ skus: 3, batchSize: 5 });
    const host = new LocalOrchestrationHost({ sleep: async () => undefined });
    for (const [name, handler] of Object.entries(orchestrators)) host.registerOrchestrator(name, handler);
    for (const [name, fn] of Object.entries(activities)) host.registerActivity(name, fn);
    const client = localPipelineClient(host);
    const counting = {
      ...client,
      startNew: async (name: string, o: { instanceId: string; input: unknown }) => (started++, client.startNew(name, o)),
    };
    const settings = loadSettings({
      DEMAND_ACTIVITY_FIRST_RETRY_MS: '100',
      DEMAND_REFORECAST_WAIT_MS: '2000',
      DEMAND_LAKE_DIR: '/tmp/secret-workspace/lake',
    });
    const routes = localRoutes({ client: () => counting, settings: () => settings, skuExists: async (sku) => sku === '85123A' });
    server = await serveRoutes(routes);
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each(['/api/runs/%ZZ', '/api/runs/%', '/api/runs/%E0%A4%A', '/api/runs/%C0%AF', '/api/skus/%ZZ/forecast'])(
    '%s is a 400 and the server keeps serving',
    async (target) => {
      const method = target.startsWith('/api/skus') ? 'POST' : 'GET';
      expect((await send(port, request(method, target))).status).toBe(400);
      expect((await send(port, request('GET', '/api/runs/run-1'))).status).toBe(404);
    },
  );

  it.each(['a b', 'evil.example:99999x', '[::1', 'x/y', ''])('Host %j is a 400', async (host) => {
    const res = await send(port, request('GET', '/api/runs/run-1', { host }));
    expect(res.status).toBe(400);
    expect((await send(port, request('GET', '/api/runs/run-1'))).status).toBe(404);
  });

  it('Location is relative: the Host header is never echoed', async () => {
    const res = await send(port, request('POST', '/api/pipeline/start', { host: `${marker}:8443`, body: '{}' }));
    expect(res.status).toBe(202);
    expect(res.text).not.toContain(marker);
    expect(res.text).toMatch(/\r\nlocation: \/api\/runs\/run-[^\r]+\r\n/i);
  });

  it.each([['true'], ['[5]'], ['"0x10"'], ['" 7 "'], ['"1e1"'], ['7.5'], ['0'], ['366']])(
    'horizonDays %s is refused with 400',
    async (value) => {
      const res = await send(port, request('POST', '/api/skus/85123A/forecast', { body: `{"horizonDays":${value}}` }));
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/horizonDays/);
    },
  );

  it('horizonDays as an integer or a digit string is accepted', async () => {
    expect((await send(port, request('POST', '/api/skus/85123A/forecast', { body: '{"horizonDays":14}' }))).status).toBe(200);
    expect((await send(port, request('POST', '/api/skus/85123A/forecast?horizonDays=14'))).status).toBe(200);
  });

  it.each([
    ['an unknown field', '{"x":1}'],
    ['__proto__', '{"__proto__":{"x":1}}'],
    ['a deep body', `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`],
  ])('the start body with %s is refused and starts nothing', async (_label, body) => {
    const before = started;
    const res = await send(port, request('POST', '/api/pipeline/start', { body }));
    expect(res.status).toBe(400);
    expect(started).toBe(before);
  });

  it('a body over 64 KB is a 413', async () => {
    const res = await send(port, request('POST', '/api/pipeline/start', { body: `{"pipelineRunId":"${'a'.repeat(70_000)}"}` }));
    expect(res.status).toBe(413);
  });

  it('fuzz: any request gets a documented status, no echo, no local path, and the server survives', async () => {
    const segment = fc.oneof(
      fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
      fc.constantFrom('%', '%Z', '%ZZ', '%E0%A4%A', '%C0%AF', '%00', '..', '%2F', '85123A', 'run-1', '%FF%FE'),
      fc.stringMatching(/^[A-Za-z0-9%._~-]{0,10}$/),
    );
    const target = fc.oneof(
      fc.tuple(segment).map(([s]) => `/api/runs/${s}`),
      fc
        .tuple(segment, fc.constantFrom('', '?horizonDays=7', '?horizonDays=%ZZ', '?horizonDays=1e3'))
        .map(([s, q]) => `/api/skus/${s}/forecast${q}`),
      fc.constant('/api/pipeline/start'),
      fc.stringMatching(/^\/[A-Za-z0-9%/._~?=&-]{0,30}$/),
    );
    const host = fc.oneof(
      fc.constant(marker),
      fc.constant(`${marker}:8443`),
      fc.constant('127.0.0.1:7071'),
      fc.stringMatching(/^[ -~]{0,20}$/).filter((h) => !/[\r\n]/.test(h)),
    );
    const body = fc.oneof(
      fc.constant(''),
      fc.json({ depthSize: 'small' }),
      fc.jsonValue({ maxDepth: 12 }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 50 }),
      fc.record({ horizonDays: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean()) }).map((v) => JSON.stringify(v)),
      fc
        .record({
          callBackUri: fc.constantFrom('http://127.0.0.1:9/callback', 'not a url'),
          pipelineRunId: fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/),
          extra: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
        })
        .map((v) => JSON.stringify(v)),
    );
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS');
    await fc.assert(
      fc.asyncProperty(method, target, host, body, async (m, t, h, b) => {
        const res = await send(port, request(m, t, { host: h, body: b }));
        expect(
          documented.has(res.status)
            ? res.status
            : `status ${res.status} for ${m} ${t} host ${JSON.stringify(h)}: ${res.text.slice(0, 300)}`,
        ).toBe(res.status);
        expect(res.text.includes(marker)).toBe(false);
        expect(res.text).not.toMatch(/\/tmp\/|secret-workspace|file:\/\//);
      }),
      { numRuns: 150, seed: 1301 },
    );
    expect((await send(port, request('GET', '/api/runs/run-1'))).status).toBe(404);
  });
});
