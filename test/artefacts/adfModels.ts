/**
 * Data Factory JSON checked against the models `@azure/arm-datafactory` generates from the
 * 2018-06-01 REST specification: its mappers (the serializer's type descriptions: every
 * property's wire name, type, required and read-only flags, polymorphic discriminators) and the
 * property docs of its typings ("Type: integer (or Expression with resultType integer)"), which
 * say what an untyped (`any`) property must evaluate to.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createSerializer, type CompositeMapper, type Mapper } from '@azure/core-client';
import { runInThisContext } from 'node:vm';

type Mappers = Record<string, CompositeMapper> & { discriminators: Record<string, CompositeMapper> };

const packageDir = () => path.dirname(require.resolve('@azure/arm-datafactory/package.json'));

let mappers: Mappers | undefined;

/**
 * The package's generated mappers. The CommonJS bundle keeps them private and the ES module file
 * has no imports, only `export const X = {…}` declarations: evaluating it with the `export`
 * keywords dropped yields the same objects without making Jest transform an 800 kB module.
 */
export function dataFactoryMappers(): Mappers {
  if (!mappers) {
    const source = readFileSync(path.join(packageDir(), 'dist-esm/src/models/mappers.js'), 'utf8').replace(
      /\/\/# sourceMappingURL=.*$/m,
      '',
    );
    if (/^import /m.test(source)) throw new Error('arm-datafactory mappers.js now has imports: load it another way');
    const names = [...source.matchAll(/^export (?:const|let) (\w+) =/gm)].map((m) => m[1]!);
    mappers = runInThisContext(
      `(() => {\n${source.replace(/^export (const|let) /gm, '$1 ')}\nreturn { ${names.join(', ')} };\n})()`,
    ) as Mappers;
  }
  return mappers;
}

interface PropertyDoc {
  /** The "Type: …" phrase, e.g. "integer (or Expression with resultType integer)". */
  type?: string;
  /** Whether the doc's own example shows the property as a JSON object ("headers" : { … }). */
  objectExample: boolean;
  /** The declared TypeScript type name, e.g. WebHookActivityMethod. */
  declared: string;
}

let docs: { properties: Map<string, Map<string, PropertyDoc>>; knownValues: Map<string, string[]> } | undefined;

/** Property docs of the typings, by interface (= mapper class) and property; Known* enum values. */
function typings() {
  if (!docs) {
    const properties = new Map<string, Map<string, PropertyDoc>>();
    const text = readFileSync(path.join(packageDir(), 'dist-esm/src/models/index.d.ts'), 'utf8');
    for (const iface of text.matchAll(/^export interface (\w+)[^{\n]*\{\n([\s\S]*?)\n\}/gm)) {
      const props = new Map<string, PropertyDoc>();
      for (const prop of iface[2]!.matchAll(/\/\*\*([\s\S]*?)\*\/\s*\n\s*(\w+)\??: ([\w.]+)/g)) {
        const doc = prop[1]!.replace(/\s*\n\s*\*?\s*/g, ' ');
        const type = /Type: ([^.,;]*?(?:\([^)]*\))?)(?:[.,;]|$)/.exec(doc)?.[1]?.trim();
        props.set(prop[2]!, { ...(type ? { type } : {}), objectExample: doc.includes(`"${prop[2]}" : {`), declared: prop[3]! });
      }
      properties.set(iface[1]!, props);
    }
    const knownValues = new Map<string, string[]>();
    for (const e of text.matchAll(/^export declare enum Known(\w+) \{([\s\S]*?)\n\}/gm)) {
      knownValues.set(
        e[1]!,
        [...e[2]!.matchAll(/= "([^"]*)"/g)].map((m) => m[1]!),
      );
    }
    docs = { properties, knownValues };
  }
  return docs;
}

export interface ModelProblem {
  path: string;
  problem: string;
}

const jsType = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** Splits a flattened wire name such as "typeProperties.host" (a `\\.` is a literal dot). */
const segments = (serializedName: string) => serializedName.split(/(?<!\\)\./).map((s) => s.replace(/\\\./g, '.'));

function resolveComposite(all: Mappers, mapper: Mapper): CompositeMapper | undefined {
  const className = (mapper as CompositeMapper).type.className;
  return className ? all[className] : undefined;
}

/** The polymorphic subtype a value names with its discriminator (as core-client resolves it). */
function polymorphic(all: Mappers, base: CompositeMapper, value: Record<string, unknown>): CompositeMapper | undefined {
  const discriminator =
    base.type.polymorphicDiscriminator ?? (base.type.uberParent ? all[base.type.uberParent]?.type.polymorphicDiscriminator : undefined);
  if (!discriminator) return base;
  const kind = value[discriminator.serializedName];
  if (typeof kind !== 'string') return undefined;
  const queue = [base.type.uberParent ?? base.type.className!];
  while (queue.length > 0) {
    const current = queue.shift()!;
    const key = kind === current ? kind : `${current}.${kind}`;
    if (all.discriminators[key]) return all.discriminators[key];
    for (const [name, m] of Object.entries(all.discriminators)) {
      if (name.startsWith(`${current}.`) && m.type.uberParent === current && m.type.className) queue.push(m.type.className);
    }
  }
  // The base type itself may be named (e.g. a plain "Trigger" is not, but an abstract base may be).
  return base.serializedName === kind ? base : undefined;
}

/** What an `any` property must evaluate to, from its doc: integer, boolean, number, string, array… */
export function expectedResultType(className: string, clientName: string): string | undefined {
  const doc = typings().properties.get(className)?.get(clientName);
  const match = doc?.type && /^(\w+) \(or Expression with resultType \w+\)/.exec(doc.type);
  // The spec says "Type: string" for activity headers, but its own example (and the service) uses
  // an object of header values: the example wins.
  if (match?.[1] === 'string' && doc?.objectExample) return 'string or object';
  return match?.[1];
}

/** The values the service is documented to accept for a string-typed "extensible enum" property. */
export function knownValues(className: string, clientName: string): string[] | undefined {
  const t = typings();
  const declared = t.properties.get(className)?.get(clientName)?.declared;
  return declared ? t.knownValues.get(declared) : undefined;
}

/**
 * Whether a value can yield `type`: a literal of that type, an Expression object, or a string
 * that is one whole expression ("@linkedService().port"). A string interpolation ("@{…}") or plain
 * text always yields a string.
 */
function yields(type: string, value: unknown): boolean {
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Expression') return true;
  if (typeof value === 'string' && value.startsWith('@') && !value.startsWith('@@') && !value.startsWith('@{')) return true;
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'string or object':
      return typeof value === 'string' || jsType(value) === 'object';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return jsType(value) === 'object';
    default:
      return true;
  }
}

interface WalkOptions {
  /** Read-only properties allowed at the top (the Git layout keeps name/type of each resource). */
  allowReadOnly?: Set<string>;
}

/**
 * Every problem of `value` against the model `mapper`: unknown properties (even where the model
 * tolerates additional ones: ours must all be modelled), missing required ones, read-only ones
 * set, wrong primitive types and enum values, unknown polymorphic types, and `any` properties
 * whose documented result type the value cannot yield.
 */
export function modelProblems(mapper: Mapper, value: unknown, at: string, options: WalkOptions = {}): ModelProblem[] {
  const all = dataFactoryMappers();
  const problems: ModelProblem[] = [];
  const walk = (m: Mapper, v: unknown, p: string, owner?: { className: string; clientName: string }, top = false): void => {
    const name = m.type.name;
    if (name === 'Composite') {
      if (jsType(v) !== 'object')
        return void problems.push({ path: p, problem: `expected an object (${(m as CompositeMapper).type.className}), got ${jsType(v)}` });
      const declared = resolveComposite(all, m);
      if (!declared) return void problems.push({ path: p, problem: `model ${(m as CompositeMapper).type.className} not found` });
      const object = v as Record<string, unknown>;
      const actual = polymorphic(all, declared, object);
      if (!actual) return void problems.push({ path: p, problem: `"${String(object.type)}" is not a kind of ${declared.type.className}` });
      const props = actual.type.modelProperties ?? {};
      const known = new Map<string, Set<string>>([['', new Set()]]);
      for (const [clientName, prop] of Object.entries(props)) {
        const parts = segments(prop.serializedName ?? clientName);
        for (let i = 0; i < parts.length; i++) {
          const parent = parts.slice(0, i).join('.');
          if (!known.has(parent)) known.set(parent, new Set());
          known.get(parent)!.add(parts[i]!);
        }
        let cursor: unknown = object;
        for (const part of parts) cursor = cursor && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[part] : undefined;
        const where = `${p}.${parts.join('.')}`;
        if (cursor === undefined) {
          if (prop.required && !prop.readOnly) problems.push({ path: where, problem: `required by ${actual.type.className} but missing` });
          continue;
        }
        if (prop.readOnly && !(top && options.allowReadOnly?.has(parts.join('.')))) {
          problems.push({ path: where, problem: `read-only in ${actual.type.className}: the service ignores it` });
          continue;
        }
        walk(prop, cursor, where, { className: actual.type.className!, clientName });
      }
      // Unknown keys at every level the model flattens (e.g. typeProperties.*).
      for (const [parent, keys] of known) {
        let cursor: unknown = object;
        for (const part of parent === '' ? [] : parent.split('.'))
          cursor = cursor && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[part] : undefined;
        if (!cursor || typeof cursor !== 'object' || Array.isArray(cursor)) continue;
        for (const key of Object.keys(cursor)) {
          if (!keys.has(key))
            problems.push({ path: `${p}${parent ? `.${parent}` : ''}.${key}`, problem: `not a property of ${actual.type.className}` });
        }
      }
      return;
    }
    if (name === 'Sequence') {
      if (!Array.isArray(v)) return void problems.push({ path: p, problem: `expected an array, got ${jsType(v)}` });
      v.forEach((e, i) => walk((m as { type: { element: Mapper } }).type.element, e, `${p}[${i}]`));
      return;
    }
    if (name === 'Dictionary') {
      if (jsType(v) !== 'object') return void problems.push({ path: p, problem: `expected an object, got ${jsType(v)}` });
      for (const [k, e] of Object.entries(v as object)) walk((m as { type: { value: Mapper } }).type.value, e, `${p}.${k}`);
      return;
    }
    if (name === 'String' && typeof v !== 'string') problems.push({ path: p, problem: `expected a string, got ${jsType(v)}` });
    const known = name === 'String' && owner ? knownValues(owner.className, owner.clientName) : undefined;
    if (known && !known.includes(v as string))
      problems.push({ path: p, problem: `${JSON.stringify(v)} is not one of ${known.join(', ')}` });
    if (name === 'Number' && typeof v !== 'number') problems.push({ path: p, problem: `expected a number, got ${jsType(v)}` });
    if (name === 'Boolean' && typeof v !== 'boolean') problems.push({ path: p, problem: `expected a boolean, got ${jsType(v)}` });
    if (name === 'Enum') {
      const allowed = (m as { type: { allowedValues: unknown[] } }).type.allowedValues;
      if (!allowed.includes(v)) problems.push({ path: p, problem: `${JSON.stringify(v)} is not one of ${allowed.join(', ')}` });
    }
    if (name === 'DateTime' && (typeof v !== 'string' || Number.isNaN(Date.parse(v))))
      problems.push({ path: p, problem: `expected a date-time, got ${JSON.stringify(v)}` });
    if ((name === 'any' || name === 'Object') && owner) {
      const type = expectedResultType(owner.className, owner.clientName);
      if (type && !yields(type, v))
        problems.push({ path: p, problem: `${JSON.stringify(v)} cannot yield the ${type} ${owner.className}.${owner.clientName} must be` });
    }
  };
  walk(mapper, value, at, undefined, true);
  return problems;
}

/**
 * The SDK's own serializer on the same value: deserialize the wire JSON into the model, serialize
 * it back; serialize throws on a missing required property or a value of the wrong type.
 */
export function serializerRoundTrip(mapper: Mapper, value: unknown, at: string): string | undefined {
  const serializer = createSerializer(dataFactoryMappers(), false);
  try {
    serializer.serialize(mapper, serializer.deserialize(mapper, value, at), at);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
