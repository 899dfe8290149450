import { DemandError } from '../errors';

/** A model cannot fit a history this short (the engine falls back and records why). */
export class InsufficientHistoryError extends DemandError {
  constructor(model: string, length: number, needed: number) {
    super('insufficient_history', `${model} needs at least ${needed} points, got ${length}`);
  }
}

/** A model produced a forecast that is not finite or far outside the history's range. */
export class ImplausibleForecastError extends DemandError {
  constructor(model: string, detail: string) {
    super('implausible_forecast', `${model} produced an implausible forecast: ${detail}`);
  }
}

/** A slow model ran over its time budget and was stopped. */
export class ModelTimeoutError extends DemandError {
  constructor(model: string, timeoutInMs: number) {
    super('model_timeout', `${model} exceeded its ${timeoutInMs} ms budget and was stopped`);
  }
}

/** A model name that the engine does not know. */
export class UnknownModelError extends DemandError {
  constructor(model: string, known: readonly string[]) {
    super('unknown_model', `Unknown forecast model "${model}"; known: ${known.join(', ')}`);
  }
}
