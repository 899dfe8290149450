import { forecastSeries } from './forecastSeries';
import type { ForecastOptions, SeriesInput, SkuForecast } from './types';

export interface ForecastTask {
  inputs: SeriesInput[];
  options: ForecastOptions;
}

/** Piscina task: forecasts a chunk of SKUs in this worker thread. */
export default function runForecastTask(task: ForecastTask): SkuForecast[] {
  return task.inputs.map((input) => forecastSeries(input, task.options));
}
