import type {
  BuildSilverOutput,
  DriftCheckOutput,
  FinalizeForecastOutput,
  ForecastBatchOutput,
  IngestInventoryOutput,
  IngestOrdersOutput,
  PlanInventoryOutput,
  PublishOutput,
  ReasonCounts,
} from '../contracts/messages';
import { capCounts } from '../contracts/breakdown';
import type { TriggerKind } from '../lib/runs/triggerKind';

/** What a forecast run (all batches of one run) adds up to. */
export interface ForecastTotals {
  skus: number;
  /** SKUs not forecast because they sold nothing in the last year. */
  inactiveSkus?: number;
  batches: number;
  forecastRows: number;
  models: ReasonCounts;
  fallbacks: ReasonCounts;
  backtest: ForecastBatchOutput['backtest'];
}

export interface ForecastRunOutput {
  forecast: ForecastTotals;
  tracking: FinalizeForecastOutput;
  /** Absent for challenger runs (publishMode 'none'). */
  inventory?: PlanInventoryOutput;
  publish?: PublishOutput;
}

/** The pipeline's result: counts per stage and where the outputs are. No rows. */
export interface RunSummary {
  runId: string;
  /** Null when the input named no valid trigger (the run fails; its error names the value). */
  trigger: TriggerKind | null;
  startedAt: string;
  status: 'Completed' | 'Failed';
  stages: {
    ingestOrders?: Omit<IngestOrdersOutput, 'batches'> & { batches: number };
    ingestInventory?: Omit<IngestInventoryOutput, 'batches'> & { batches: number };
    silver?: BuildSilverOutput;
    forecast?: ForecastTotals;
    tracking?: FinalizeForecastOutput;
    inventory?: PlanInventoryOutput;
    publish?: PublishOutput;
    drift?: DriftCheckOutput & { reforecastSkus: number; challengerStarted: boolean };
  };
  quarantineReasons: ReasonCounts;
  outputs: Record<string, string>;
  error?: string;
}

export function addCounts(into: ReasonCounts, from: ReasonCounts): ReasonCounts {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}

/** Merges batch outputs (or partial totals) into run totals (breakdowns capped by capCounts). */
export function sumForecastBatches(parts: Array<ForecastBatchOutput | ForecastTotals>): ForecastTotals {
  const total: ForecastTotals = {
    skus: 0,
    batches: 0,
    forecastRows: 0,
    models: {},
    fallbacks: {},
    backtest: { absError: 0, absActual: 0, maseSum: 0, maseCount: 0 },
  };
  for (const p of parts) {
    total.skus += p.skus;
    total.batches += 'batches' in p ? p.batches : 1;
    total.forecastRows += p.forecastRows;
    addCounts(total.models, p.models);
    addCounts(total.fallbacks, p.fallbacks);
    total.backtest.absError += p.backtest.absError;
    total.backtest.absActual += p.backtest.absActual;
    total.backtest.maseSum += p.backtest.maseSum;
    total.backtest.maseCount += p.backtest.maseCount;
  }
  total.models = capCounts(total.models);
  total.fallbacks = capCounts(total.fallbacks);
  return total;
}
