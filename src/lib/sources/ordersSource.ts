/**
 * Which orders source a run reads (setting DEMAND_ORDERS_SOURCE, `demand run --orders-source`):
 * the Online Retail API (the `online-retail` preset, the default, whose records land in Bronze as
 * served) or a source definition (a preset or a JSON file) whose records are mapped to canonical
 * order lines on the way in. The choice also picks the Silver rule set.
 */
import type { PipelineSettings } from '../config/settings';
import type { RuleSetName } from '../silver/ruleSet';
import type { OrdersSourceDefinition } from './definition';
import { loadOrdersSource, shopTimeZoneOf, type LoadedSource } from './loadDefinition';

export type ResolvedOrdersSource =
  | { kind: 'online-retail-api'; loaded: LoadedSource; ruleSet: RuleSetName }
  | { kind: 'definition'; loaded: LoadedSource; definition: OrdersSourceDefinition; shopTimeZone: string; ruleSet: RuleSetName };

export async function resolveOrdersSource(
  settings: Pick<PipelineSettings, 'DEMAND_ORDERS_SOURCE' | 'DEMAND_SHOP_TIME_ZONE'>,
): Promise<ResolvedOrdersSource> {
  const loaded = await loadOrdersSource(settings.DEMAND_ORDERS_SOURCE);
  if (loaded.preset === 'online-retail') return { kind: 'online-retail-api', loaded, ruleSet: 'online-retail' };
  const definition = loaded.definition;
  return {
    kind: 'definition',
    loaded,
    definition,
    shopTimeZone: shopTimeZoneOf(definition, settings.DEMAND_SHOP_TIME_ZONE),
    ruleSet: definition.ruleSet,
  };
}
