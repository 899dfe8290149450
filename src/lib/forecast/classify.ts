import { mean, variance } from './numeric';
import type { DemandClass, Segment } from './types';

/** Syntetos–Boylan–Croston cut-offs (Syntetos, Boylan & Croston 2005). */
export const adiCutoff = 1.32;
export const cv2Cutoff = 0.49;

export interface DemandProfile {
  demandClass: DemandClass;
  segment: Segment;
  /** Average inter-demand interval (periods per non-zero demand). */
  adi: number | null;
  /** Squared coefficient of variation of the non-zero sizes. */
  cv2: number | null;
  meanDemand: number;
}

/** Classifies a (clean, non-negative) history by ADI and CV² of its non-zero demands. */
export function classifyDemand(y: readonly number[], options: { fastMeanPerPeriod?: number } = {}): DemandProfile {
  const sizes = y.filter((v) => v > 0);
  const meanDemand = mean(y);
  if (sizes.length === 0) return { demandClass: 'zero', segment: 'intermittent', adi: null, cv2: null, meanDemand };
  const adi = y.length / sizes.length;
  const m = mean(sizes);
  const cv2 = sizes.length > 1 && m > 0 ? variance(sizes) / (m * m) : 0;
  const demandClass: DemandClass = adi < adiCutoff ? (cv2 < cv2Cutoff ? 'smooth' : 'erratic') : cv2 < cv2Cutoff ? 'intermittent' : 'lumpy';
  const segment: Segment = adi >= adiCutoff ? 'intermittent' : meanDemand >= (options.fastMeanPerPeriod ?? 5) ? 'fast' : 'slow';
  return { demandClass, segment, adi, cv2, meanDemand };
}
