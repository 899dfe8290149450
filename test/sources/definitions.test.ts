import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ordersSourceJsonSchemaText } from '../../src/lib/sources/jsonSchema';
import { loadOrdersSource } from '../../src/lib/sources/loadDefinition';
import { presetNames } from '../../src/lib/sources/presets';

describe('source definitions', () => {
  it('publishes the JSON Schema generated from the zod schema (regenerate: see docs/sources.md)', () => {
    const published = readFileSync(path.join(__dirname, '../../docs/schemas/orders-source.schema.json'), 'utf8');
    expect(published).toBe(ordersSourceJsonSchemaText());
  });

  it.each(presetNames)('ships preset %s as a valid definition with a documented section', async (name) => {
    const loaded = await loadOrdersSource(name);
    expect(loaded.preset).toBe(name);
    expect(readFileSync(path.join(__dirname, '../../docs/sources.md'), 'utf8')).toContain(`### \`${name}\``);
  });

  it('uses the invoice-prefix rules for online-retail only', async () => {
    expect((await loadOrdersSource('online-retail')).definition.ruleSet).toBe('online-retail');
    expect((await loadOrdersSource('shopify')).definition.ruleSet).toBe('order-status');
    expect((await loadOrdersSource('woocommerce')).definition.ruleSet).toBe('order-status');
  });

  it('says what it is when the reference is neither a preset nor a file', async () => {
    await expect(loadOrdersSource('/nonexistent/shop.json')).rejects.toThrow(/neither a preset \(online-retail, shopify, woocommerce\) nor a readable file/);
  });
});
