import { InsufficientHistoryError } from '../errors';
import { calendarRegressors } from '../events/regressors';
import type { ForecastModel, ModelContext } from '../types';
import { searchArima } from './autoArimaSearch';
import { forecastSarima, type SarimaOrder } from './sarimaCss';

/**
 * Automatic ARIMA (Hyndman–Khandakar stepwise, see autoArimaSearch.ts) in TypeScript.
 * - `autoarima`: the seasonal ARIMA search as R's `auto.arima(y)` on a series of frequency M.
 * - `autoarima_x`: regression with ARIMA errors, as `auto.arima(y, xreg = ...)`: yearly Fourier
 *   terms on daily histories of two years or more (ARIMA's seasonal lag cannot carry a 365-day
 *   cycle) plus the calendar's holiday and event regressors when they are configured.
 * The order is chosen once per series (on the first, full-history fit) and reused by the rolling
 * backtest refits, as ETS reuses its form. The search stops at the model time budget and keeps
 * the best model found so far (recorded in params as `searchTruncated`).
 */
const yearLength = 365.25;

function fourierColumns(start: number, length: number, terms: number): Float64Array[] {
  const cols: Float64Array[] = [];
  for (let k = 1; k <= terms; k++) {
    const s = new Float64Array(length);
    const c = new Float64Array(length);
    for (let t = 0; t < length; t++) {
      const a = (2 * Math.PI * k * (start + t)) / yearLength;
      s[t] = Math.sin(a);
      c[t] = Math.cos(a);
    }
    cols.push(s, c);
  }
  return cols;
}

interface Design {
  names: string[];
  /** Columns over history + horizon. */
  columns: Float64Array[];
}

function design(context: ModelContext, n: number, horizon: number, yearlyTerms: number): Design {
  const names: string[] = [];
  const columns: Float64Array[] = [];
  const k = context.isDaily && n >= 2 * 365 ? yearlyTerms : 0;
  for (const [i, col] of fourierColumns(0, n + horizon, k).entries()) {
    names.push(`${i % 2 === 0 ? 'sin' : 'cos'}${Math.floor(i / 2) + 1}`);
    columns.push(col);
  }
  const calendar = calendarRegressors(context, n + horizon);
  // A regressor that never occurs in the history cannot be estimated: left out.
  calendar.columns.forEach((col, j) => {
    if (col.subarray(0, n).some((v) => v !== 0)) {
      names.push(calendar.names[j] as string);
      columns.push(col);
    }
  });
  return { names, columns };
}

function autoArimaModel(name: string, yearlyTerms: number | null): ForecastModel {
  const model: ForecastModel = {
    name,
    minLength: (season) => Math.max(2 * season + 8, 20),
    forecast(y, horizon, context) {
      const m = context.season;
      const need = model.minLength(m, horizon);
      if (y.length < need) throw new InsufficientHistoryError(name, y.length, need);
      const n = y.length;
      const x = yearlyTerms === null ? { names: [], columns: [] } : design(context, n, horizon, yearlyTerms);
      const history = x.columns.map((c) => c.subarray(0, n));
      const future = x.columns.map((c) => c.subarray(n));
      const memoKey = `${name}.order`;
      const memo = context.memo?.get(memoKey) as { order: SarimaOrder; regressors: string } | undefined;
      const fixedOrder = memo && memo.regressors === x.names.join(',') ? memo.order : undefined;
      const result = searchArima(y, { m, xreg: history, budgetInMs: context.timeoutInMs, fixedOrder });
      if (!fixedOrder) context.memo?.set(memoKey, { order: result.fit.order, regressors: x.names.join(',') });
      const point = forecastSarima(y, result.fit, horizon, history, future);
      const o = result.fit.order;
      return {
        point,
        params: {
          order: `(${o.p},${o.d},${o.q})(${o.P},${o.D},${o.Q})[${o.m}]${o.constant ? (o.d + o.D === 0 ? ' with mean' : ' with drift') : ''}`,
          aicc: result.fit.aicc,
          modelsFitted: result.modelsFitted,
          searchTruncated: result.truncated,
          regressors: Object.fromEntries(x.names.map((r, j) => [r, result.fit.beta[j]])),
        },
      };
    },
  };
  return model;
}

export const autoArimaModels: readonly ForecastModel[] = [autoArimaModel('autoarima', null), autoArimaModel('autoarima_x', 8)];
