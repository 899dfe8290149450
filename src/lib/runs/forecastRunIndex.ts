/**
 * Entity table indexing forecast runs (trigger, start, policy version), so the drift check can
 * find the forecasts in effect without scanning every run's Gold partition, and leave challenger
 * runs (not in production) out.
 */
export const forecastRunsTableName = 'forecastruns';
