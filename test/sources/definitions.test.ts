import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ordersSourceJsonSchemaText } from '../../src/lib/sources/jsonSchema';
import { loadOrdersSource } from '../../src/lib/sources/loadDefinition';
import { presetNames } from '../../src/lib/sources/presets';

describe('source definitions', () => {
  it('publishes the JSON Schema generated from the zod schema (regenerate: npm run schemas)', () => {
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
    await expect(loadOrdersSource('/nonexistent/shop.json')).rejects.toThrow(
      /neither a preset \(online-retail, shopify, woocommerce\) nor a readable file/,
    );
  });
});

describe('the online-retail preset as a mapping', () => {
  it('maps the bundled sample to the same lines Silver builds from the Online Retail API records (SKU, quantity, price, shop time)', async () => {
    const { loadSampleOrders } = await import('../../src/lib/sample/sampleOrders');
    const { createRecordMapper } = await import('../../src/lib/sources/recordMapper');
    const { checkOrderRecord, toOrderLine } = await import('../../src/lib/silver/orderRecord');
    const { checkCanonicalRecord } = await import('../../src/lib/silver/canonicalRecord');
    const definition = (await loadOrdersSource('online-retail')).definition;
    const mapper = createRecordMapper(definition, 'Europe/London');
    let compared = 0;
    for await (const record of loadSampleOrders()) {
      const legacy = checkOrderRecord(record);
      if (!legacy.ok) continue;
      const expected = toOrderLine(legacy.record);
      const [mapped] = mapper.map(record);
      const viaCanonical = checkCanonicalRecord(mapped);
      if (!viaCanonical.ok) throw new Error(`${JSON.stringify(record)}: ${viaCanonical.detail}`);
      const got = viaCanonical.line;
      expect([got.sku, got.quantity, got.unitPrice, got.orderTs, got.orderDate, got.customerId, got.country]).toEqual([
        expected.sku,
        expected.quantity,
        expected.unitPrice,
        expected.orderTs,
        expected.orderDate,
        expected.customerId,
        expected.country,
      ]);
      if (++compared >= 5000) break;
    }
    expect(compared).toBe(5000);
  });
});
