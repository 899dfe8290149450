import { loadSettings } from '../lib/config/settings';
import type { PipelineServices } from '../lib/pipelineServices';
import { createServices } from '../composition/services';

let services: Promise<PipelineServices> | undefined;

/** One set of adapters per Function App process, built from app settings on first use. */
export function getServices(): Promise<PipelineServices> {
  // A failed start (bad setting, transient identity error) is not cached: the next call retries.
  services ??= Promise.resolve()
    .then(() => createServices(loadSettings(process.env), { log: (message) => console.log(message) }))
    .catch((err: unknown) => {
      services = undefined;
      throw err;
    });
  return services;
}
