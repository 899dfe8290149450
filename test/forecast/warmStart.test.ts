import { forecastSeries } from '../../src/lib/forecast/forecastSeries';
import { forecastModels, modelByName } from '../../src/lib/forecast/models/registry';
import type { ForecastModel, SeriesInput, SkuForecast } from '../../src/lib/forecast/types';
import { parseWarmModel, profileKeyOf } from '../../src/lib/forecast/warmStart';

const options = { horizon: 14, season: 7 };

/** A weekly-seasonal daily series with a trend and noise from a fixed LCG (deterministic). */
function weekly(days: number, seed = 3): SeriesInput {
  let s = seed;
  const noise = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 6;
  const values = Array.from({ length: days }, (_, t) => Math.max(0, Math.round(20 + t * 0.02 + (t % 7 === 5 ? 15 : 0) + noise())));
  return { sku: 'W', startDate: '2011-01-03', values };
}

/** Counts calls of every registered model's fitting functions (forecast and forecastOrigins). */
function spyOnModels(): { calls: () => Map<string, number>; restore: () => void } {
  const spies: jest.SpyInstance[] = [];
  const counts = new Map<string, number>();
  for (const name of forecastModels.keys()) {
    const model = modelByName(name) as ForecastModel & Record<string, unknown>;
    for (const fn of ['forecast', 'forecastOrigins'] as const) {
      if (typeof model[fn] !== 'function') continue;
      const original = (model[fn] as (...a: unknown[]) => unknown).bind(model);
      spies.push(
        jest.spyOn(model, fn).mockImplementation(((...args: unknown[]) => {
          counts.set(name, (counts.get(name) ?? 0) + 1);
          return original(...args);
        }) as never),
      );
    }
  }
  return { calls: () => counts, restore: () => spies.forEach((s) => s.mockRestore()) };
}

describe('warm start of model selection', () => {
  const series = weekly(200);
  let full: SkuForecast;
  beforeAll(() => {
    full = forecastSeries(series, options);
  });

  it('full selection backtests every candidate and reports its profile', () => {
    expect(full.selection?.mode).toBe('full');
    expect(full.selection?.profileKey).toMatch(/^smooth\/fast\//);
    expect(full.candidates.filter((c) => !/^(median|mean)\(/.test(c.model)).length).toBeGreaterThan(2);
  });

  it('re-uses the stored choice, fits only its members and reproduces the full selection on the same data', () => {
    const spy = spyOnModels();
    let warm: SkuForecast;
    try {
      warm = forecastSeries({ ...series, warmStart: { model: full.model, profileKey: full.selection!.profileKey } }, options);
    } finally {
      spy.restore();
    }
    const members = parseWarmModel(full.model)!.members;
    expect(warm.selection?.mode).toBe('warm');
    expect(warm.model).toBe(full.model);
    expect([...spy.calls().keys()].sort()).toEqual([...members].sort());
    expect(warm.point).toEqual(full.point);
    expect(warm.quantiles).toEqual(full.quantiles);
    expect(warm.metrics.mase).toBeCloseTo(full.metrics.mase!, 12);
  });

  it('keeps a stored choice that full selection would not make today (it skips the selection)', () => {
    const other = full.candidates.find((c) => c.model !== full.model && !/[(]/.test(c.model) && c.score !== null && !c.error)!;
    expect(other).toBeDefined();
    const spy = spyOnModels();
    let warm: SkuForecast;
    try {
      warm = forecastSeries({ ...series, warmStart: { model: other.model, profileKey: full.selection!.profileKey } }, options);
    } finally {
      spy.restore();
    }
    expect(warm.model).toBe(other.model);
    expect([...spy.calls().keys()]).toEqual([other.model]);
    expect(warm.candidates.map((c) => c.model)).toEqual([other.model]);
  });

  it('re-ranks a stored combination among its own members only', () => {
    const singles = full.candidates.filter((c) => !/[(]/.test(c.model) && c.score !== null && !c.error).map((c) => c.model);
    const members = singles.filter((m) => m !== full.model).slice(0, 3);
    expect(members).toHaveLength(3);
    const stored = `mean(${members.join(',')})`;
    const spy = spyOnModels();
    let warm: SkuForecast;
    try {
      warm = forecastSeries({ ...series, warmStart: { model: stored, profileKey: full.selection!.profileKey } }, options);
    } finally {
      spy.restore();
    }
    expect(warm.selection?.mode).toBe('warm');
    expect([...spy.calls().keys()].sort()).toEqual([...members].sort());
    expect(warm.model).not.toBe(full.model);
    const chosenMembers = parseWarmModel(warm.model)!.members;
    expect(chosenMembers.every((m) => members.includes(m))).toBe(true);
  });

  it('selects in full when the profile changed', () => {
    const warm = forecastSeries({ ...series, warmStart: { model: 'naive', profileKey: 'intermittent/intermittent/croston' } }, options);
    expect(warm.selection?.mode).toBe('full');
    expect(warm.model).toBe(full.model);
  });

  it('selects in full when a stored member is unknown, not a candidate any more, or fails', () => {
    for (const model of ['no_such_model', 'median(ets,no_such_model)', 'croston', 'median(', '']) {
      const warm = forecastSeries({ ...series, warmStart: { model, profileKey: full.selection!.profileKey } }, options);
      expect({ model, mode: warm.selection?.mode, chosen: warm.model }).toEqual({ model, mode: 'full', chosen: full.model });
    }
  });

  it('rule-based paths (all-zero, constant) report no selection', () => {
    expect(forecastSeries({ sku: 'Z', startDate: '2011-01-03', values: new Array<number>(60).fill(0) }, options).selection).toBeUndefined();
    expect(forecastSeries({ sku: 'C', startDate: '2011-01-03', values: new Array<number>(60).fill(2) }, options).selection).toBeUndefined();
  });
});

describe('warm-start helpers', () => {
  it('parses single models and combinations, rejects anything else', () => {
    expect(parseWarmModel('ets')).toEqual({ model: 'ets', how: null, members: ['ets'] });
    expect(parseWarmModel('median(ets,theta,snaive)')).toEqual({
      model: 'median(ets,theta,snaive)',
      how: 'median',
      members: ['ets', 'theta', 'snaive'],
    });
    expect(parseWarmModel('mean(ets)')).toBeNull();
    expect(parseWarmModel('max(ets,theta)')).toBeNull();
    expect(parseWarmModel('ETS; drop')).toBeNull();
  });

  it('names the profile by class, segment and candidate pool', () => {
    expect(profileKeyOf({ demandClass: 'smooth', segment: 'fast' }, ['ets', 'theta'])).toBe('smooth/fast/ets,theta');
  });
});
