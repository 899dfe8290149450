import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { ModelTimeoutError } from '../errors';

/**
 * A worker thread that a synchronous model calls and waits for (Atomics.wait on a shared
 * counter, as synckit does), under a time budget: on timeout the worker is terminated and a
 * fresh one starts on the next call. It lets a model whose library is asynchronous or slow
 * (an ESM module with top-level await, a WASM optimiser) stay a plain synchronous function.
 *
 * `handlerSource` is the body of the worker: CommonJS code that defines
 * `async function handle(job)` returning a structured-cloneable result; it sees `workerData`.
 */
interface Reply {
  id: number;
  result?: unknown;
  error?: string;
  elapsedInMs: number;
}

interface Running {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  nextId: number;
}

const prelude = `
const { workerData } = require('node:worker_threads');
const { port, counter } = workerData;
const flag = new Int32Array(counter);
`;
const loop = `
port.on('message', async (job) => {
  const started = performance.now();
  let reply;
  try {
    reply = { id: job.id, result: await handle(job.payload) };
  } catch (e) {
    reply = { id: job.id, error: String((e && e.message) || e) };
  }
  reply.elapsedInMs = performance.now() - started;
  port.postMessage(reply);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

export class BlockingWorker {
  private current: Running | null = null;
  private readonly stopping = new Set<Promise<unknown>>();

  constructor(
    private readonly model: string,
    private readonly handlerSource: string,
    private readonly data: Record<string, unknown>,
    /** Extra time the first job of a fresh worker may take (loading the library). */
    private readonly startupAllowanceInMs: number,
  ) {}

  private start(): Running {
    const { port1, port2 } = new MessageChannel();
    const counter = new SharedArrayBuffer(4);
    const worker = new Worker(`${prelude}${this.handlerSource}${loop}`, {
      eval: true,
      workerData: { ...this.data, port: port2, counter },
      transferList: [port2],
    });
    worker.unref();
    port1.unref();
    return { worker, port: port1, flag: new Int32Array(counter), nextId: 0 };
  }

  /**
   * Runs one job and blocks until its reply; throws ModelTimeoutError past the budget. A job that
   * took longer than its budget inside the worker also counts as timed out, so the verdict does
   * not depend on when this thread was scheduled.
   */
  run<T>(payload: unknown, timeoutInMs: number): T {
    const fresh = this.current === null;
    const w = this.current ?? (this.current = this.start());
    const id = ++w.nextId;
    const before = Atomics.load(w.flag, 0);
    w.port.postMessage({ id, payload });
    const allowance = fresh ? this.startupAllowanceInMs : 0;
    const deadline = Date.now() + timeoutInMs + allowance;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(w.flag, 0, before, left) === 'timed-out') {
        if (Atomics.load(w.flag, 0) !== before) break;
        this.kill(w);
        throw new ModelTimeoutError(this.model, timeoutInMs);
      }
      if (Atomics.load(w.flag, 0) !== before) break;
    }
    for (;;) {
      const received: { message: Reply } | undefined = receiveMessageOnPort(w.port);
      if (!received) throw new Error(`${this.model} worker signalled but sent no result`);
      const reply = received.message;
      if (reply.id !== id) continue;
      if (reply.elapsedInMs > timeoutInMs + allowance) throw new ModelTimeoutError(this.model, timeoutInMs);
      if (reply.error !== undefined) throw new Error(`${this.model} failed: ${reply.error}`);
      return reply.result as T;
    }
  }

  private kill(w: Running): void {
    const done: Promise<unknown> = w.worker
      .terminate()
      .catch(() => 0)
      .finally(() => this.stopping.delete(done));
    this.stopping.add(done);
    if (this.current === w) this.current = null;
  }

  /** Stops the worker (tests and pool shutdown). */
  async stop(): Promise<void> {
    const w = this.current;
    this.current = null;
    if (w) await w.worker.terminate();
    await Promise.all([...this.stopping]);
  }
}
