import type { PipelineSettings } from '../lib/config/settings';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import type { RunHistory } from '../lib/runs';
import type { PipelineClientFactory } from './pipelineClient';

/** What the HTTP and timer functions depend on; Azure and the local server supply their own. */
export interface FunctionDeps {
  client: PipelineClientFactory;
  settings: () => PipelineSettings;
  /** True when the SKU is in the Silver product catalogue (404 otherwise); absent = not checked. */
  skuExists?: (sku: string) => Promise<boolean>;
  /** Past runs for GET /api/runs (Durable's instance store in Azure, the run journal locally). */
  runs?: (request: HttpRequest, context: InvocationContext) => RunHistory;
}
