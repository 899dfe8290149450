import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import type { Command } from 'commander';
import { createLocalHost } from '../../host/localRuntime';
import { localPipelineClient } from '../../host/localPipelineClient';
import { SkuCatalog } from '../../lib/catalog/skuCatalog';
import type { PipelineServices } from '../../lib/pipeline/contracts';
import type { FunctionDeps } from '../../functions/deps';
import { reforecastSkuHandler } from '../../functions/handlers/reforecastSku';
import { runStatusHandler } from '../../functions/handlers/runStatus';
import { listRunsHandler } from '../../functions/handlers/listRuns';
import { journalRuns } from '../../host/localRunJournal';
import { RunJournal } from '../../lib/runs';
import { startPipelineHandler } from '../../functions/handlers/startPipeline';
import type { CliContext } from '../context';

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

interface Route {
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
    { method: 'POST', pattern: /^\/api\/skus\/([^/]*)\/forecast$/, params: ['sku'], name: 'reforecastSku', handler: reforecastSkuHandler(deps) },
    { method: 'GET', pattern: /^\/api\/runs\/([^/]+)$/, params: ['instanceId'], name: 'runStatus', handler: runStatusHandler(deps) },
    { method: 'GET', pattern: /^\/api\/runs$/, params: [], name: 'listRuns', handler: listRunsHandler(deps) },
  ];
}

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the local HTTP server on 127.0.0.1 (port 0 = any free port). */
export async function startLocalServer(services: PipelineServices, options: { port?: number } = {}): Promise<LocalServer> {
  const host = createLocalHost(services);
  const client = localPipelineClient(host);
  const catalog = SkuCatalog.fromLake(services.lake);
  const journal = await RunJournal.fromEntities(services.entities);
  journalRuns(host, journal, services.log);
  const routes = localRoutes({ client: () => client, settings: () => services.settings, skuExists: (sku) => catalog.has(sku), runs: () => journal });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const route = routes.find((r) => r.method === req.method && r.pattern.test(url.pathname));
    let response: HttpResponseInit;
    if (!route) {
      response = { status: 404, jsonBody: { error: { code: 'not_found', message: `No route ${req.method} ${url.pathname}` } } };
    } else {
      const match = route.pattern.exec(url.pathname) as RegExpExecArray;
      const params: Record<string, string> = {};
      route.params.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1] ?? '')));
      const request = new HttpRequest({
        method: req.method ?? 'GET',
        url: url.toString(),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')])),
        params,
        body: { string: Buffer.concat(chunks).toString('utf8') },
      });
      response = await route.handler(request, new InvocationContext({ functionName: route.name, invocationId: crypto.randomUUID() }));
    }
    const headers: Record<string, string> = { ...(response.headers as Record<string, string> | undefined) };
    const body = response.jsonBody !== undefined ? JSON.stringify(response.jsonBody) : String(response.body ?? '');
    if (response.jsonBody !== undefined) headers['content-type'] = 'application/json';
    res.writeHead(response.status ?? 200, headers);
    res.end(body);
  };
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
      context.stderr(`Serving on ${server.url}: POST /api/pipeline/start, POST /api/skus/{sku}/forecast, GET /api/runs/{instanceId} (Ctrl+C stops)`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await server.close();
    });
}
