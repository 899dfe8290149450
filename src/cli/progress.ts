import { MultiBar, Presets, type SingleBar } from 'cli-progress';

/** The stages a run reports, in order, with the label shown to the user. */
export const runStages = [
  ['ingestOrders', 'Ingest orders (source → Bronze)'],
  ['ingestInventory', 'Ingest inventory (landing → Bronze)'],
  ['buildSilver', 'Cleanse, join, aggregate (Silver)'],
  ['planForecast', 'Plan SKU batches'],
  ['forecastBatch', 'Forecast SKU batches (Gold)'],
  ['finalizeForecast', 'Track run, register policy'],
  ['planInventory', 'Inventory actions'],
  ['publish', 'Publish (Gold, dashboard)'],
  ['checkDrift', 'Drift check'],
] as const;

export type StageName = (typeof runStages)[number][0];

export interface RunProgress {
  scheduled(stage: string): void;
  completed(stage: string): void;
  stop(): void;
}

/**
 * A progress bar per stage on a terminal; plain "stage done" lines otherwise (CI logs, --json
 * runs, where bars would garble the output). Bars count activity completions: one for most stages,
 * one per SKU batch for the forecast.
 */
export function createRunProgress(options: { interactive: boolean; write: (line: string) => void }): RunProgress {
  const totals = new Map<string, number>();
  const done = new Map<string, number>();
  const labelOf = (stage: string): string => runStages.find(([n]) => n === stage)?.[1] ?? stage;
  if (!options.interactive) {
    return {
      scheduled: (stage) => totals.set(stage, (totals.get(stage) ?? 0) + 1),
      completed: (stage) => {
        const n = (done.get(stage) ?? 0) + 1;
        done.set(stage, n);
        if (n === totals.get(stage)) options.write(`✔ ${labelOf(stage)}${n > 1 ? ` (${n})` : ''}`);
      },
      stop: () => undefined,
    };
  }
  const multibar = new MultiBar(
    { format: ' {bar} {percentage}% | {value}/{total} | {stage}', hideCursor: true, clearOnComplete: false, stopOnComplete: false },
    Presets.shades_classic,
  );
  const bars = new Map<string, SingleBar>();
  const barFor = (stage: string): SingleBar => {
    let bar = bars.get(stage);
    if (!bar) {
      bar = multibar.create(0, 0, { stage: labelOf(stage) });
      bars.set(stage, bar);
    }
    return bar;
  };
  return {
    scheduled: (stage) => {
      totals.set(stage, (totals.get(stage) ?? 0) + 1);
      barFor(stage).setTotal(totals.get(stage) as number);
    },
    completed: (stage) => {
      done.set(stage, (done.get(stage) ?? 0) + 1);
      barFor(stage).update(done.get(stage) as number);
    },
    stop: () => multibar.stop(),
  };
}
