/** Public types of the per-SKU forecasting engine. */
import type { EventCalendar } from './events/types';
import type { FleetSeason } from './fleetSeason';
import type { FleetPrior } from './pooling';
import type { SelectionInfo, WarmStart } from './warmStart';

export type { EventCalendar, EventDay } from './events/types';

export interface SeriesInput {
  sku: string;
  /** First day of `values`, YYYY-MM-DD. */
  startDate: string;
  values: number[];
  /** Stockout days: demand is unknown there, not zero. */
  censored?: boolean[];
  /** The last full selection's choice for this SKU (see warmStart.ts); absent = full selection. */
  warmStart?: WarmStart | undefined;
}

export interface ForecastOptions {
  horizon: number;
  season: number;
  /** Default [0.05, 0.25, 0.5, 0.75, 0.95]. */
  quantiles?: number[];
  /** Candidate models; default: chosen by the demand class and history length. */
  models?: string[];
  /** Models added to the default candidates (not to `models`), e.g. ['prophet'] for long daily series. */
  extraCandidates?: string[];
  /** Budget for the slow external candidates (ARIMA); default 5000 ms. */
  modelTimeoutInMs?: number;
  /** Rolling-origin windows used for selection; default 3. */
  backtestWindows?: number;
  /** Holidays and events, regressors of the models that take them (autoarima_x, prophet). */
  calendar?: EventCalendar;
  /** Prior for sparse SKUs' rates, pooled over the fleet or batch (see pooling.ts). */
  fleetPrior?: FleetPrior;
  /** The fleet's daily units a year ago (see fleetSeason.ts): the yearly movement level forecasts borrow. */
  fleetSeason?: FleetSeason;
}

export type DemandClass = 'smooth' | 'erratic' | 'intermittent' | 'lumpy' | 'zero';
export type Segment = 'fast' | 'slow' | 'intermittent';

export interface ForecastMetrics {
  mase: number | null;
  wape: number | null;
  smape: number | null;
  bias: number | null;
  /** Leave-one-window-out share of backtest actuals inside [q25, q75]. */
  coverage50: number | null;
  coverage90: number | null;
  pinball: number | null;
  absError: number;
  absActual: number;
  windows: number;
  /**
   * Σ expected units (SkuForecast.mean's rule at each backtest origin) − Σ actual over the backtest
   * points: the numerator of the fleet bias that totals of `mean` have. Absent in older results.
   */
  meanSignedError?: number;
}

export interface CandidateScore {
  model: string;
  score: number | null;
  error?: string;
}

export interface SkuForecast {
  sku: string;
  model: string;
  point: number[];
  /**
   * Expected units per step: the point forecast corrected by its backtest mean error. The point
   * is what absolute-error selection picks (median-like for skewed demand); totals over SKUs and
   * days must add these means instead.
   */
  mean: number[];
  /** Keys 'q05','q25','q50','q75','q95' (or qNN for other levels). */
  quantiles: Record<string, number[]>;
  demandClass: DemandClass;
  segment: Segment;
  metrics: ForecastMetrics;
  fallbackReason: string | null;
  params: Record<string, unknown>;
  candidates: CandidateScore[];
  /** How the model was selected; absent for the rule-based paths (empty, constant, sparse, single sale). */
  selection?: SelectionInfo;
}

/** What every model sees: a clean, finite, non-negative history (censored days imputed). */
export interface ModelContext {
  season: number;
  /** Day of week (0 = Sunday) of y[0], or null when the start date is unknown. */
  startDayOfWeek: number | null;
  /** Days per index step: 1 for daily series. */
  isDaily: boolean;
  /** Budget for slow external models. */
  timeoutInMs: number;
  /** Positions of imputed (censored) values, excluded from in-sample losses where a model can. */
  censored?: boolean[];
  /** Per-series scratch space shared by the fits of one selection (e.g. the ETS form chosen once). */
  memo?: Map<string, unknown>;
  /** The SKU and the date of y[0] (YYYY-MM-DD), for calendar regressors. */
  sku?: string;
  startDate?: string;
  calendar?: EventCalendar;
}

export interface ModelOutput {
  point: number[];
  /**
   * Expected units per step, when the model's point is not a mean (e.g. exp of a fitted log is a
   * median): what fleet totals add up. Absent: the point is the model's mean.
   */
  mean?: number[];
  params: Record<string, unknown>;
}

/** A forecasting model: a pure function from history to the next `horizon` points. */
export interface ForecastModel {
  readonly name: string;
  /** Smallest history this model accepts (it throws an InsufficientHistory error below). */
  minLength(season: number, horizon: number): number;
  forecast(y: readonly number[], horizon: number, context: ModelContext): ModelOutput;
  /**
   * Optional batch form for rolling origins: forecasts from each prefix y[0..origins[i]) for
   * horizons[i] steps, identical to calling `forecast` on each prefix, but cheaper (one pass).
   */
  forecastOrigins?(y: readonly number[], origins: readonly number[], horizons: readonly number[], context: ModelContext): ModelOutput[];
}
