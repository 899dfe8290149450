import type { PipelineSettings } from './config/settings';
import type { AuthorizationProvider } from './ingest/authorizationProvider';
import type { LakeStore } from './lake/lakeStore';
import type { Publisher } from './publish/publisher';
import type { EntityStore } from './tables/entityStore';
import type { Tracker } from './tracking/tracker';

/** The ports every stage works through: settings, the lake, the entity tables, a log. */
export interface PipelinePorts {
  settings: PipelineSettings;
  lake: LakeStore;
  entities: EntityStore;
  log: (message: string) => void;
  /** Optional progress reporting for the local CLI (no-op in Azure). */
  progress?: (stage: string, done: number, total?: number) => void;
  abortSignal?: AbortSignal;
}

/**
 * Builders of the adapters a stage opens for one call (a publisher is closed after it), chosen
 * from settings by the composition root. They take the caller's ports, so a stage that narrows
 * its log or abort signal gets adapters that use them.
 */
export interface AdapterFactories {
  /** The tracker and registry (Table storage or MLflow, by DEMAND_TRACKER). */
  tracker(ports: Pick<PipelinePorts, 'settings' | 'entities'>): Tracker;
  /** The publisher (local dashboard or ADX, by DEMAND_PUBLISHER); the caller closes it. */
  publisher(ports: PipelinePorts): Publisher;
  /** The orders API's Authorization header (an Entra ID token, a static header, or none), from the DEMAND_ORDERS_AUTH_* settings. */
  ordersAuthorization(settings: PipelineSettings): AuthorizationProvider | undefined;
}

/**
 * What an activity, and the domain code it calls, gets besides its input: built from settings by
 * the composition root (src/composition), so no code below it chooses an adapter.
 */
export interface PipelineServices extends PipelinePorts {
  adapters: AdapterFactories;
}

/** The options bag that carries a stage's abort signal to the ports (empty when it has none). */
export function signalOf(ports: Pick<PipelinePorts, 'abortSignal'>): { abortSignal?: AbortSignal } {
  return ports.abortSignal ? { abortSignal: ports.abortSignal } : {};
}
