import { UnknownModelError } from '../errors';
import type { ForecastModel } from '../types';
import { arimaModel } from './arima';
import { autoArimaModels } from './autoArima';
import { etsModel } from './ets';
import { harmonicModel } from './harmonic';
import { adidaModel, crostonModel, sbaModel, tsbModel } from './intermittent';
import { mstlModel } from './mstl';
import { prophetModel } from './prophet';
import { meanModel, naiveModel, seasonalMedianModel, seasonalNaiveModel, zeroModel } from './simple';
import { thetaModel } from './theta';

/** Every model the engine knows, by name. */
const models = new Map<string, ForecastModel>(
  [
    seasonalNaiveModel,
    seasonalMedianModel('smedian', 8),
    naiveModel,
    meanModel,
    zeroModel,
    etsModel,
    thetaModel,
    harmonicModel('harmonic', { yearlyTerms: 20, halfLifeInDays: 365 }),
    harmonicModel('harmonic_smooth', { yearlyTerms: 8, halfLifeInDays: 730 }),
    mstlModel,
    arimaModel,
    ...autoArimaModels,
    prophetModel,
    crostonModel,
    sbaModel,
    tsbModel,
    adidaModel,
  ].map((m) => [m.name, m]),
);

export const forecastModels: ReadonlyMap<string, ForecastModel> = models;

/**
 * Adds a model (an extension, or a test double). It must be registered in every thread that
 * runs it: pool workers only know the built-in models.
 */
export function registerForecastModel(model: ForecastModel): void {
  models.set(model.name, model);
}

export function modelByName(name: string): ForecastModel {
  const model = forecastModels.get(name);
  if (!model) throw new UnknownModelError(name, [...forecastModels.keys()]);
  return model;
}
