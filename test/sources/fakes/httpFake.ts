import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  url: URL;
  headers: http.IncomingHttpHeaders;
}

export type FakeAnswer = { status: number; headers?: Record<string, string>; body: unknown };

/** A loopback HTTP server answering with `handle`; records every request. */
export async function startFake(
  handle: (req: FakeRequest, base: string) => FakeAnswer,
): Promise<{ base: string; requests: FakeRequest[]; close: () => Promise<void> }> {
  const requests: FakeRequest[] = [];
  let base = '';
  const server = http.createServer((req, res) => {
    const request = { url: new URL(req.url ?? '/', base), headers: req.headers };
    requests.push(request);
    const answer = handle(request, base);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
