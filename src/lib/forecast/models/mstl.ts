import * as fs from 'node:fs';
import * as path from 'node:path';
import { InsufficientHistoryError } from '../errors';
import type { ForecastModel } from '../types';

/**
 * MSTL (multiple seasonal STL) with an AutoETS remainder/trend, from Grafana's augurs (Rust, WASM).
 * The WASM module is instantiated synchronously from the package's own .wasm bytes, so the model
 * stays a plain synchronous function (it runs inside pool workers).
 */
interface AugursMstl {
  fit(y: number[] | Float64Array): void;
  predict(horizon: number, level?: number | null): { point: number[] };
  free(): void;
}
interface AugursMstlModule {
  initSync(input: { module: Uint8Array }): unknown;
  MSTL: { ets(periods: number[] | Uint32Array, options?: { impute?: boolean } | null): AugursMstl };
}

let loaded: AugursMstlModule | null = null;

function augursMstl(): AugursMstlModule {
  if (loaded) return loaded;
  // The package's exports map hides the .wasm files; they sit next to the JS entry point.
  const entry = require.resolve('@bsull/augurs/mstl');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('@bsull/augurs/mstl') as AugursMstlModule;
  mod.initSync({ module: fs.readFileSync(path.join(path.dirname(entry), 'mstl_bg.wasm')) });
  loaded = mod;
  return mod;
}

const yearPeriod = 365;

export const mstlModel: ForecastModel = {
  name: 'mstl',
  minLength: (season) => Math.max(2 * season + 1, 8),
  forecast(y, horizon, context) {
    const m = context.season;
    const need = mstlModel.minLength(m, horizon);
    if (y.length < need) throw new InsufficientHistoryError('mstl', y.length, need);
    const periods = m > 1 ? (context.isDaily && m === 7 && y.length > 2 * yearPeriod ? [7, yearPeriod] : [m]) : [];
    const model = augursMstl().MSTL.ets(periods.length ? periods : [1], { impute: false });
    try {
      model.fit(Float64Array.from(y));
      const point = Array.from(model.predict(horizon, null).point);
      return { point, params: { periods } };
    } finally {
      model.free();
    }
  },
};
