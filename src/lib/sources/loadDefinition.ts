/**
 * Reads a source definition: a preset name (`online-retail`, `shopify`, `woocommerce`) or a JSON
 * file. Errors name the key path and the value, as a user fixing their definition needs.
 */
import { readFile } from 'node:fs/promises';
import { ValidationError } from '../errors';
import { ordersSourceSchema, type OrdersSourceDefinition } from './definition';
import { isPresetName, presetDocument, presetNames, type PresetName } from './presets';
import { assertTimeZone } from './zonedTime';

export interface LoadedSource {
  /** The preset name, or the file path the definition came from. */
  origin: string;
  preset: PresetName | undefined;
  definition: OrdersSourceDefinition;
}

function valueAt(doc: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = doc;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Validates a definition document; throws ValidationError naming the first bad key. */
export function parseSourceDefinition(doc: unknown, origin: string): OrdersSourceDefinition {
  const parsed = ordersSourceSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.map(String).join('.') || '(root)';
    const found = issue ? valueAt(doc, issue.path) : undefined;
    throw new ValidationError(
      key,
      `Source definition ${origin}: "${key}" ${found === undefined ? 'is missing or unknown' : `= ${JSON.stringify(found)}`}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const definition = parsed.data;
  for (const [key, zone] of [
    ['timeZone', definition.timeZone],
    ['shopTimeZone', definition.shopTimeZone],
  ] as const) {
    if (zone === undefined) continue;
    try {
      assertTimeZone(zone);
    } catch (err) {
      throw new ValidationError(
        key,
        `Source definition ${origin}: "${key}" = ${JSON.stringify(zone)} is not an IANA time zone (e.g. "America/Sao_Paulo")`,
        { cause: err },
      );
    }
  }
  return definition;
}

/**
 * A preset by name, a definition file by path, or the definition's JSON itself (text starting
 * with `{`: a Function App setting can hold it where there is no file to point at).
 */
export async function loadOrdersSource(ref: string): Promise<LoadedSource> {
  if (isPresetName(ref))
    return { origin: `preset ${ref}`, preset: ref, definition: parseSourceDefinition(presetDocument(ref), `preset ${ref}`) };
  if (ref.trimStart().startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(ref);
    } catch (err) {
      throw new ValidationError('ordersSource', `Inline source definition is not JSON: ${(err as Error).message}`, { cause: err });
    }
    return { origin: 'inline definition', preset: undefined, definition: parseSourceDefinition(doc, 'inline definition') };
  }
  let text: string;
  try {
    text = await readFile(ref, 'utf8');
  } catch (err) {
    throw new ValidationError(
      'ordersSource',
      `Orders source ${JSON.stringify(ref)} is neither a preset (${presetNames.join(', ')}) nor a readable file: ${(err as Error).message}`,
      { cause: err },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ValidationError('ordersSource', `Source definition ${ref} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  return { origin: ref, preset: undefined, definition: parseSourceDefinition(doc, ref) };
}

/** The zone demand days are counted in: the source's shopTimeZone, the setting, else its timeZone. */
export function shopTimeZoneOf(definition: OrdersSourceDefinition, setting: string | undefined): string {
  return definition.shopTimeZone ?? setting ?? definition.timeZone;
}
