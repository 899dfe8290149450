import * as path from 'node:path';
import type { PipelineSettings } from '../config/settings';
import { FileSystemLake } from '../lake/fileSystemLake';
import type { LakeStore } from '../lake/lakeStore';
import { EmbeddedEntityStore } from '../tables/embeddedEntityStore';
import type { EntityStore } from '../tables/entityStore';
import type { PipelineServices } from './contracts';

/** The composition root: picks the adapter behind each port from settings. */
export async function createServices(
  settings: PipelineSettings,
  options: { log?: (message: string) => void; progress?: PipelineServices['progress'] } = {},
): Promise<PipelineServices> {
  const lake: LakeStore = FileSystemLake.fromDirectory(path.resolve(settings.DEMAND_LAKE_DIR));
  const entities: EntityStore = EmbeddedEntityStore.fromDirectory(path.resolve(settings.DEMAND_STATE_DIR));
  return {
    settings,
    lake,
    entities,
    log: options.log ?? (() => undefined),
    ...(options.progress ? { progress: options.progress } : {}),
  };
}
