/** The published JSON Schema of source definitions (docs/schemas/orders-source.schema.json), generated from the zod schema. */
import { z } from 'zod';
import { ordersSourceSchema } from './definition';

export const ordersSourceSchemaId = 'https://github.com/azure-demand-forecast/schemas/orders-source.schema.json';

export function ordersSourceJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ordersSourceSchema, { io: 'input', target: 'draft-2020-12', reused: 'ref' }) as Record<string, unknown>;
  return { ...schema, $id: ordersSourceSchemaId, title: 'Orders source definition (docs/sources.md)' };
}

/** The file's text: stable key order and a final newline, so the check in test/sources compares text. */
export function ordersSourceJsonSchemaText(): string {
  return `${JSON.stringify(ordersSourceJsonSchema(), null, 2)}\n`;
}
