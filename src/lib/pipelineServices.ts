import type { PipelineSettings } from './config/settings';
import type { LakeStore } from './lake/lakeStore';
import type { EntityStore } from './tables/entityStore';

/**
 * The ports an activity, and the domain code it calls, gets besides its input: built from settings by
 * the composition root (src/composition), so no code below it chooses an adapter.
 */
export interface PipelineServices {
  settings: PipelineSettings;
  lake: LakeStore;
  entities: EntityStore;
  log: (message: string) => void;
  /** Optional progress reporting for the local CLI (no-op in Azure). */
  progress?: (stage: string, done: number, total?: number) => void;
  abortSignal?: AbortSignal;
}
