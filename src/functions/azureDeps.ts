import { loadSettings, type PipelineSettings } from '../lib/config/settings';
import { SkuCatalog } from '../lib/catalog/skuCatalog';
import { getServices } from './services';
import type { FunctionDeps } from './deps';
import { durableRunHistory } from './durableRunHistory';
import { azurePipelineClient } from './pipelineClient';

let settings: PipelineSettings | undefined;
let catalog: SkuCatalog | undefined;

/** Dependencies of the functions when they run in Azure (or under `func start`). */
export const azureDeps: FunctionDeps = {
  client: azurePipelineClient,
  settings: () => (settings ??= loadSettings(process.env)),
  skuExists: async (sku) => {
    catalog ??= SkuCatalog.fromLake((await getServices()).lake);
    return catalog.has(sku);
  },
  runs: (_request, context) => durableRunHistory(context),
};
