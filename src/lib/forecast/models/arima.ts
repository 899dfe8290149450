import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { errorText } from '../../errors';
import { ImplausibleForecastError, InsufficientHistoryError, ModelTimeoutError } from '../errors';
import type { ForecastModel } from '../types';

/**
 * SARIMA through the npm `arima` package (an Emscripten build of ctsa). It is slow and sometimes
 * explodes, so it runs in its own worker thread under a time budget: the caller blocks on a shared
 * counter (Atomics.wait, as synckit does) and terminates the worker when the budget runs out.
 * Its output is never trusted blindly: non-finite values or values far outside the history's
 * range are rejected.
 */
const workerSource = `
const { workerData } = require('node:worker_threads');
const ARIMA = require(workerData.arimaPath);
const { port, counter } = workerData;
const flag = new Int32Array(counter);
port.on('message', (job) => {
  let reply;
  const started = performance.now();
  try {
    const model = new ARIMA(Object.assign({ verbose: false }, job.options)).train(job.y);
    const [point] = model.predict(job.horizon);
    reply = { id: job.id, point: Array.from(point) };
  } catch (e) {
    reply = { id: job.id, error: String(e && e.message || e) };
  }
  reply.elapsedInMs = performance.now() - started;
  port.postMessage(reply);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

interface ArimaWorker {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  nextId: number;
}

let current: ArimaWorker | null = null;
/** Workers being terminated after a timeout (awaited by stopArimaWorker). */
const stopping = new Set<Promise<unknown>>();
/** Loading the WASM build takes a moment; the first job's budget includes it. */
const startupAllowanceInMs = 3000;

function startWorker(): ArimaWorker {
  const { port1, port2 } = new MessageChannel();
  const counter = new SharedArrayBuffer(4);
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: { arimaPath: require.resolve('arima'), port: port2, counter },
    transferList: [port2],
  });
  worker.unref();
  port1.unref();
  return { worker, port: port1, flag: new Int32Array(counter), nextId: 0 };
}

/**
 * Runs one SARIMA fit+forecast in the worker; throws ModelTimeoutError after `timeoutInMs`.
 * A fit that took longer than its budget in the worker also counts as timed out, even when its
 * answer is already there: on a busy machine the waiting thread may wake late, and the verdict
 * must not depend on when it was scheduled.
 */
export function runArimaInWorker(
  y: readonly number[],
  horizon: number,
  options: Record<string, number | boolean>,
  timeoutInMs: number,
): number[] {
  const fresh = current === null;
  const w = current ?? (current = startWorker());
  const id = ++w.nextId;
  const before = Atomics.load(w.flag, 0);
  w.port.postMessage({ id, y: Array.from(y), horizon, options });
  const deadline = Date.now() + timeoutInMs + (fresh ? startupAllowanceInMs : 0);
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(w.flag, 0, before, left) === 'timed-out') {
      if (Atomics.load(w.flag, 0) !== before) break;
      const done: Promise<unknown> = w.worker
        .terminate()
        .catch(() => 0)
        .finally(() => stopping.delete(done));
      stopping.add(done);
      current = null;
      throw new ModelTimeoutError('arima', timeoutInMs);
    }
    if (Atomics.load(w.flag, 0) !== before) break;
  }
  for (;;) {
    const message: { message: { id: number; point?: number[]; error?: string; elapsedInMs: number } } | undefined = receiveMessageOnPort(
      w.port,
    );
    if (!message) throw new Error('arima worker signalled but sent no result');
    if (message.message.id !== id) continue;
    if (message.message.elapsedInMs > timeoutInMs) throw new ModelTimeoutError('arima', timeoutInMs);
    if (message.message.error !== undefined) throw new Error(`arima failed: ${message.message.error}`);
    return message.message.point ?? [];
  }
}

/** Stops the ARIMA worker (tests and pool shutdown). */
export async function stopArimaWorker(): Promise<void> {
  const w = current;
  current = null;
  if (w) await w.worker.terminate();
  await Promise.all([...stopping]);
}

/** Rejects forecasts that are not finite or leave the history's range by more than a few ranges. */
export function checkPlausible(model: string, y: readonly number[], point: readonly number[]): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of y) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const range = Math.max(hi - lo, Math.abs(hi), 1);
  for (const [i, v] of point.entries()) {
    if (!Number.isFinite(v)) throw new ImplausibleForecastError(model, `step ${i + 1} is ${v}`);
    if (v > hi + 3 * range || v < lo - 3 * range) {
      throw new ImplausibleForecastError(model, `step ${i + 1} is ${v.toPrecision(4)}, history range [${lo}, ${hi}]`);
    }
  }
}

const maxArimaHistory = 3 * 365;

export const arimaModel: ForecastModel = {
  name: 'arima',
  minLength: (season) => Math.max(3 * season + 2, 12),
  forecast(y, horizon, context) {
    const m = context.season;
    const need = arimaModel.minLength(m, horizon);
    if (y.length < need) throw new InsufficientHistoryError('arima', y.length, need);
    const tail = y.slice(Math.max(0, y.length - maxArimaHistory));
    // A fixed, well-behaved order (airline-like): auto search in this package takes seconds.
    const options: Record<string, number> = m > 1 ? { p: 1, d: 0, q: 1, P: 0, D: 1, Q: 1, s: m } : { p: 1, d: 1, q: 1 };
    let point: number[];
    try {
      point = runArimaInWorker(tail, horizon, options, context.timeoutInMs);
    } catch (e) {
      if (e instanceof ModelTimeoutError) throw e;
      throw new Error(errorText(e));
    }
    if (point.length !== horizon) throw new ImplausibleForecastError('arima', `returned ${point.length} of ${horizon} steps`);
    checkPlausible('arima', tail, point);
    return { point, params: { order: options } };
  },
};
