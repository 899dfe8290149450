import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Piscina } from 'piscina';
import { forecastSeries } from './forecastSeries';
import { stopArimaWorker } from './models/arima';
import type { ForecastTask } from './poolWorker';
import type { ForecastOptions, SeriesInput, SkuForecast } from './types';

/**
 * When running from TypeScript sources (ts-jest, ts-node), worker threads cannot load .ts files;
 * a tiny bootstrap transpiles them on the fly with the TypeScript compiler (a dev dependency).
 * Compiled builds load poolWorker.js directly.
 */
function workerFilename(): { filename: string; cleanup: () => void } {
  const compiled = path.join(__dirname, 'poolWorker.js');
  if (fs.existsSync(compiled)) return { filename: compiled, cleanup: () => undefined };
  const source = path.join(__dirname, 'poolWorker.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forecast-worker-'));
  const bootstrap = path.join(dir, 'bootstrap.js');
  fs.writeFileSync(
    bootstrap,
    `const fs = require('fs');
const ts = require(${JSON.stringify(require.resolve('typescript'))});
require.extensions['.ts'] = function (module, filename) {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  module._compile(out, filename);
};
module.exports = require(${JSON.stringify(source)});
`,
  );
  return { filename: bootstrap, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Forecasts many SKUs on a pool of worker threads (piscina). `workers: 0` runs in-process,
 * which gives identical results (the engine is deterministic) and suits tests and tiny batches.
 */
export class ForecastPool {
  private constructor(
    private readonly pool: Piscina | null,
    private readonly workers: number,
    private readonly cleanup: () => void,
  ) {}

  static create(options: { workers?: number } = {}): ForecastPool {
    const workers = Math.max(0, Math.floor(options.workers ?? Math.max(1, os.availableParallelism() - 1)));
    if (workers === 0) return new ForecastPool(null, 0, () => undefined);
    const { filename, cleanup } = workerFilename();
    const pool = new Piscina({ filename, minThreads: workers, maxThreads: workers, idleTimeout: 30_000 });
    return new ForecastPool(pool, workers, cleanup);
  }

  async forecast(inputs: SeriesInput[], options: ForecastOptions): Promise<SkuForecast[]> {
    if (!this.pool) return inputs.map((input) => forecastSeries(input, options));
    // A few chunks per worker balances uneven SKUs without paying per-SKU messaging.
    const chunkSize = Math.max(1, Math.ceil(inputs.length / (this.workers * 4)));
    const tasks: Promise<SkuForecast[]>[] = [];
    for (let i = 0; i < inputs.length; i += chunkSize) {
      const task: ForecastTask = { inputs: inputs.slice(i, i + chunkSize), options };
      tasks.push(this.pool.run(task) as Promise<SkuForecast[]>);
    }
    return (await Promise.all(tasks)).flat();
  }

  async close(): Promise<void> {
    try {
      if (this.pool) await this.pool.destroy();
      await stopArimaWorker();
    } finally {
      this.cleanup();
    }
  }
}
