import { SettingsError } from '../lib/errors';
import type { PipelinePorts } from '../lib/pipelineServices';
import { AdxPublisher } from '../lib/publish/adxPublisher';
import { LocalPublisher } from '../lib/publish/localPublisher';
import type { Publisher } from '../lib/publish/publisher';

/** ADX's data-management endpoint is the engine URL with "ingest-" before the host. */
export function ingestUrlFor(clusterUrl: string): string {
  const url = new URL(clusterUrl);
  if (!url.hostname.startsWith('ingest-')) url.hostname = `ingest-${url.hostname}`;
  return url.toString().replace(/\/+$/, '');
}

/** The publisher chosen by DEMAND_PUBLISHER (local | adx). */
export function createPublisher(services: PipelinePorts): Publisher {
  const { settings } = services;
  if (settings.DEMAND_PUBLISHER === 'local') return LocalPublisher.fromServices(services);
  const clusterUrl = settings.DEMAND_ADX_CLUSTER_URL;
  if (!clusterUrl) {
    throw new SettingsError(
      'DEMAND_ADX_CLUSTER_URL',
      'DEMAND_PUBLISHER=adx needs DEMAND_ADX_CLUSTER_URL (https://<cluster>.<region>.kusto.windows.net)',
    );
  }
  return AdxPublisher.fromOptions({
    clusterUrl,
    ingestUrl: settings.DEMAND_ADX_INGEST_URL ?? ingestUrlFor(clusterUrl),
    database: settings.DEMAND_ADX_DATABASE,
    lake: services.lake,
    log: services.log,
  });
}
