/** Source definitions shipped with the project, by preset name. */
import onlineRetail from './presets/online-retail.json';
import shopify from './presets/shopify.json';
import woocommerce from './presets/woocommerce.json';

export const presetNames = ['online-retail', 'shopify', 'woocommerce'] as const;
export type PresetName = (typeof presetNames)[number];

const presets: Record<PresetName, unknown> = { 'online-retail': onlineRetail, shopify, woocommerce };

export function isPresetName(name: string): name is PresetName {
  return (presetNames as readonly string[]).includes(name);
}

/** The preset's definition document (a fresh copy). */
export function presetDocument(name: PresetName): unknown {
  return structuredClone(presets[name]);
}
