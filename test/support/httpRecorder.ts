import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Body parsed as JSON when it is JSON, else undefined. */
  json: unknown;
}

export interface RecorderReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
}

export type RecorderHandler = (request: RecordedRequest) => RecorderReply | Promise<RecorderReply>;

/**
 * A local HTTP server on 127.0.0.1 that records every request and answers through a handler:
 * the stand-in for services with no emulator here (ADX, MLflow, the ADLS DFS endpoint, ADF
 * callbacks). Contract tests assert on `requests`.
 */
export class HttpRecorder {
  readonly requests: RecordedRequest[] = [];
  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    readonly url: string,
  ) {}

  static async start(handler: RecorderHandler = () => ({ status: 200, body: {} })): Promise<HttpRecorder> {
    let recorder: HttpRecorder | undefined;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        let json: unknown;
        try {
          json = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
        } catch {
          json = undefined;
        }
        const recorded: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, json };
        recorder?.requests.push(recorded);
        Promise.resolve(handler(recorded))
          .then((reply) => {
            const payload =
              reply.body === undefined
                ? ''
                : typeof reply.body === 'string' || Buffer.isBuffer(reply.body)
                  ? reply.body
                  : JSON.stringify(reply.body);
            const headers = {
              ...(typeof reply.body === 'object' && !Buffer.isBuffer(reply.body) ? { 'content-type': 'application/json' } : {}),
              ...reply.headers,
            };
            res.writeHead(reply.status, headers);
            res.end(payload);
          })
          .catch((err: unknown) => {
            res.writeHead(500);
            res.end(String(err));
          });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    recorder = new HttpRecorder(server, `http://127.0.0.1:${port}`);
    return recorder;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
