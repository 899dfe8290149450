export * from './types';
export * from './errors';
export { forecastSeries, defaultCandidates, defaultQuantileLevels } from './forecastSeries';
export { ForecastPool } from './pool';
export { classifyDemand, adiCutoff, cv2Cutoff, type DemandProfile } from './classify';
export { cleanSeries } from './clean';
export { conformalQuantiles, quantileKey } from './conformal';
export { forecastModels, modelByName, registerForecastModel } from './models/registry';
export * from './backtest';
