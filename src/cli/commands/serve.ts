import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import type { Command } from 'commander';
import { createLocalHost } from '../../host/localRuntime';
import { localPipelineClient } from '../../host/localPipelineClient';
import { SkuCatalog } from '../../lib/catalog/skuCatalog';
import type { PipelineServices } from '../../lib/pipelineServices';
import type { FunctionDeps } from '../../functions/deps';
import { reforecastSkuHandler } from '../../functions/handlers/reforecastSku';
import { runStatusHandler } from '../../functions/handlers/runStatus';
import { listRunsHandler } from '../../functions/handlers/listRuns';
import { journalRuns } from '../../host/localRunJournal';
import { RunJournal } from '../../lib/runs';
import { startPipelineHandler } from '../../functions/handlers/startPipeline';
import { maxBodyBytes } from '../../functions/http';
import type { CliContext } from '../context';
import { valueText } from '../../lib/errors/valueText';

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export interface Route {
  method: string;
  pattern: RegExp;
  params: string[];
  name: string;
  handler: Handler;
}

/** The same routes as the Function App, served by the same handlers, on the local host. */
export function localRoutes(deps: FunctionDeps): Route[] {
  return [
    { method: 'POST', pattern: /^\/api\/pipeline\/start$/, params: [], name: 'startPipeline', handler: startPipelineHandler(deps) },
    {
      method: 'POST',
      pattern: /^\/api\/skus\/([^/]*)\/forecast$/,
      params: ['sku'],
      name: 'reforecastSku',
      handler: reforecastSkuHandler(deps),
    },
    { method: 'GET', pattern: /^\/api\/runs\/([^/]+)$/, params: ['instanceId'], name: 'runStatus', handler: runStatusHandler(deps) },
    { method: 'GET', pattern: /^\/api\/runs$/, params: [], name: 'listRuns', handler: listRunsHandler(deps) },
  ];
}

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

/** A Host header as RFC 9110 allows it: a name or IPv4 address or [IPv6], and an optional port. */
const hostHeader =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

interface LocalAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const answer = (status: number, code: string, message: string): LocalAnswer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ error: { code, message } }),
});

/** Reads a body up to `limit` bytes; undefined when it is longer (the rest is not buffered). */
async function readBounded(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * One request to the local routes. Never throws, never echoes the Host header or a local path:
 * a bad Host or percent-encoding is a 400, an oversized body a 413, an unexpected failure a 500
 * without details.
 */
export async function answerLocal(routes: Route[], req: IncomingMessage, options: { baseUrl?: string } = {}): Promise<LocalAnswer> {
  const host = req.headers.host;
  if (host !== undefined && !hostHeader.test(host)) return answer(400, 'bad_request', 'The Host header is not a valid host[:port]');
  let url: URL;
  try {
    // A fixed base: the request's Host never becomes part of a URL we build.
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return answer(400, 'bad_request', 'The request target is not a valid URL path');
  }
  const route = routes.find((r) => r.method === req.method && r.pattern.test(url.pathname));
  if (!route) {
    const known = routes.some((r) => r.pattern.test(url.pathname));
    req.resume();
    return known
      ? answer(405, 'method_not_allowed', `Method ${String(req.method).slice(0, 16)} is not allowed here`)
      : answer(404, 'not_found', 'No such route; see GET /api/runs/{id}, POST /api/pipeline/start, POST /api/skus/{sku}/forecast');
  }
  const body = await readBounded(req, maxBodyBytes);
  if (body === undefined) return answer(413, 'validation', `Request body is larger than ${maxBodyBytes / 1024} KB`);
  const match = route.pattern.exec(url.pathname) as RegExpExecArray;
  const params: Record<string, string> = {};
  try {
    route.params.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1] ?? '')));
  } catch {
    return answer(400, 'bad_request', `The ${route.params.join(', ')} in the path is not valid percent-encoding`);
  }
  const request = new HttpRequest({
    method: req.method ?? 'GET',
    url: `${(options.baseUrl ?? 'http://localhost').replace(/\/+$/, '')}${url.pathname}${url.search}`,
    headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')])),
    params,
    ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: { string: body.toString('utf8') } }),
  });
  const response = await route.handler(
    request,
    new InvocationContext({ functionName: route.name, invocationId: crypto.randomUUID(), logHandler: () => undefined }),
  );
  const headers: Record<string, string> = { ...(response.headers as Record<string, string> | undefined) };
  const text = response.jsonBody !== undefined ? JSON.stringify(response.jsonBody) : valueText(response.body ?? '');
  if (response.jsonBody !== undefined) headers['content-type'] = 'application/json';
  return { status: response.status ?? 200, headers, body: text };
}

/** Starts the local HTTP server on 127.0.0.1 (port 0 = any free port). `baseUrl`, when set, prefixes status URLs. */
export async function startLocalServer(
  services: PipelineServices,
  options: { port?: number; baseUrl?: string } = {},
): Promise<LocalServer> {
  const host = createLocalHost(services);
  const client = localPipelineClient(host, options.baseUrl ? { baseUrl: options.baseUrl } : {});
  const catalog = SkuCatalog.fromLake(services.lake);
  const journal = await RunJournal.fromEntities(services.entities);
  journalRuns(host, journal, services.log);
  const routes = localRoutes({
    client: () => client,
    settings: () => services.settings,
    skuExists: (sku) => catalog.has(sku),
    runs: () => journal,
  });
  return serveRoutes(routes, { ...options, log: services.log });
}

/** Serves routes on 127.0.0.1; a failure of one request is logged and answered 500, never a crash. */
export async function serveRoutes(
  routes: Route[],
  options: { port?: number; baseUrl?: string; log?: (message: string) => void } = {},
): Promise<LocalServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    answerLocal(routes, req, options.baseUrl ? { baseUrl: options.baseUrl } : {})
      .catch((err: unknown) => {
        options.log?.(`serve: ${String(req.method).slice(0, 16)} request failed: ${err instanceof Error ? err.message : String(err)}`);
        return answer(500, 'internal', 'Internal error (see the server log)');
      })
      .then((a) => {
        if (res.destroyed) return;
        res.writeHead(a.status, a.headers);
        res.end(a.body);
      })
      .catch(() => res.destroy());
  });
  // Requests Node's parser rejects (bad request line, bad header) get a bare 400.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function registerServeCommand(program: Command, context: CliContext): void {
  program
    .command('serve')
    .description('Serve the Function App’s HTTP routes locally (same handlers) on 127.0.0.1')
    .option('--port <port>', 'port (default 7071, as func start)', '7071')
    .action(async (options: { port: string }) => {
      const settings = context.settings();
      const services = await context.services(settings);
      const server = await startLocalServer({ ...services, log: (m) => context.stderr(m) }, { port: Number(options.port) });
      context.stderr(
        `Serving on ${server.url}: POST /api/pipeline/start, POST /api/skus/{sku}/forecast, GET /api/runs/{instanceId} (Ctrl+C stops)`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await server.close();
    });
}
