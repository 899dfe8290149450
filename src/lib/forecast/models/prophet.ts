import { errorText } from '../../errors';
import { ImplausibleForecastError, InsufficientHistoryError, ModelTimeoutError } from '../errors';
import { calendarRegressors } from '../events/regressors';
import type { ForecastModel, ModelContext } from '../types';
import { BlockingWorker } from './blockingWorker';

/**
 * Prophet (Taylor & Letham) through Grafana's augurs: the Rust port of Prophet's model with the
 * original Stan program compiled to WASM as its optimiser (`@bsull/augurs-prophet-wasmstan`).
 * Weekly and yearly seasonality as Prophet decides them by default (yearly from two years of
 * history), no daily seasonality (daily data), and the calendar's public holidays and user events
 * as Prophet holidays. The optimiser is an ES module with top-level await, which a synchronous
 * model cannot load, so fits run in a worker thread under the model time budget.
 */
const workerHandler = `
const fs = require('node:fs');
const { pathToFileURL } = require('node:url');
let lib = null;
async function load() {
  if (lib) return lib;
  const { optimizer } = await import(pathToFileURL(workerData.wasmstanPath).href);
  const mod = await import(pathToFileURL(workerData.prophetPath).href);
  mod.initSync({ module: fs.readFileSync(workerData.prophetWasmPath) });
  lib = { optimizer, Prophet: mod.Prophet };
  return lib;
}
async function handle(job) {
  const { optimizer, Prophet } = await load();
  const holidays = new Map(job.holidays.map(([name, days]) => [name, { occurrences: days.map((d) => ({ start: d, end: d + 86400 })) }]));
  // Prophet retries a failed L-BFGS fit with Newton's method; Newton traps in this WASM build
  // ("unreachable"), BFGS does not, so BFGS is the retry.
  for (const algorithm of ['lbfgs', 'bfgs']) {
    const model = new Prophet(Object.assign({ optimizer }, job.options, holidays.size ? { holidays } : {}));
    try {
      model.fit({ ds: job.ds, y: job.y }, { algorithm });
      return Array.from(model.predict({ ds: job.future }).yhat.point);
    } catch (e) {
      if (algorithm === 'bfgs') throw e;
    } finally {
      model.free();
    }
  }
}
`;

let worker: BlockingWorker | null = null;

function prophetWorker(): BlockingWorker {
  if (worker) return worker;
  const prophetPath = require.resolve('@bsull/augurs/prophet');
  worker = new BlockingWorker(
    'prophet',
    workerHandler,
    {
      prophetPath,
      // The package's exports map hides the .wasm files; they sit next to the JS entry point.
      prophetWasmPath: prophetPath.replace(/\.js$/, '_bg.wasm'),
      wasmstanPath: require.resolve('@bsull/augurs-prophet-wasmstan'),
    },
    5000,
  );
  return worker;
}

/** Stops the Prophet worker (tests and pool shutdown). */
export async function stopProphetWorker(): Promise<void> {
  const w = worker;
  worker = null;
  if (w) await w.stop();
}

const daySeconds = 86_400;

function timestamps(context: ModelContext, from: number, count: number): number[] {
  const startMs = context.startDate ? Date.parse(`${context.startDate}T00:00:00Z`) : Number.NaN;
  const origin = Number.isFinite(startMs) ? startMs / 1000 : 0;
  return Array.from({ length: count }, (_, i) => origin + (from + i) * daySeconds);
}

export const prophetModel: ForecastModel = {
  name: 'prophet',
  minLength: (season) => Math.max(2 * season, 14),
  forecast(y, horizon, context) {
    const need = prophetModel.minLength(context.season, horizon);
    if (y.length < need) throw new InsufficientHistoryError('prophet', y.length, need);
    const n = y.length;
    const ds = timestamps(context, 0, n + horizon);
    const calendar = calendarRegressors(context, n + horizon);
    // Prophet holidays: every calendar regressor seen in the history, with all its days.
    const holidays: Array<[string, number[]]> = [];
    calendar.columns.forEach((col, j) => {
      if (!col.subarray(0, n).some((v) => v !== 0)) return;
      const days: number[] = [];
      col.forEach((v, t) => v !== 0 && days.push(ds[t] as number));
      holidays.push([calendar.names[j] as string, days]);
    });
    const options = {
      yearlySeasonality: context.isDaily ? { type: 'auto' } : { type: 'manual', enabled: false },
      weeklySeasonality: context.isDaily || context.season === 7 ? { type: 'auto' } : { type: 'manual', enabled: false },
      dailySeasonality: { type: 'manual', enabled: false },
      uncertaintySamples: 0,
    };
    let point: number[];
    try {
      point = prophetWorker().run<number[]>(
        { ds: ds.slice(0, n), y: Array.from(y), future: ds.slice(n), options, holidays },
        context.timeoutInMs,
      );
    } catch (e) {
      if (e instanceof ModelTimeoutError) throw e;
      throw new Error(errorText(e));
    }
    if (point.length !== horizon) throw new ImplausibleForecastError('prophet', `returned ${point.length} of ${horizon} steps`);
    return { point, params: { holidays: holidays.map(([name]) => name), yearly: context.isDaily && n >= 2 * 365 } };
  },
};
