/**
 * Resource bodies of the Bicep files checked against the type files Bicep's own compiler uses
 * (bicep-types-az `types.json`, see ../shared/data/bicep_types/README.md): the resource type and
 * API version exist, every property set exists, none is read-only, every required one is set, and
 * literal values have the declared type (string constraints, literal unions, integer bounds),
 * nested objects and arrays included as far as the value is a literal. Expressions (parameters,
 * function calls, references) cannot be evaluated without a compiler and are skipped.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { objectEntries, skipBalanced } from '../infra/bicepText';

/* One entry of a types.json list; references are {"$ref": "#/<index>"}. */
interface TypeRef {
  $ref: string;
}
type TypeEntry =
  | { $type: 'ResourceType'; name: string; body: TypeRef }
  | { $type: 'ObjectType'; name: string; properties: Record<string, Property>; additionalProperties?: TypeRef }
  | {
      $type: 'DiscriminatedObjectType';
      name: string;
      discriminator: string;
      baseProperties: Record<string, Property>;
      elements: Record<string, TypeRef>;
    }
  | { $type: 'UnionType'; elements: TypeRef[] }
  | { $type: 'StringLiteralType'; value: string }
  | { $type: 'StringType'; minLength?: number; maxLength?: number; pattern?: string }
  | { $type: 'IntegerType'; minValue?: number; maxValue?: number }
  | { $type: 'ArrayType'; itemType: TypeRef }
  | { $type: 'BooleanType' | 'AnyType' | 'ResourceFunctionType' };
interface Property {
  type: TypeRef;
  flags: number;
  description?: string;
}

/** bicep-types PropertyFlags. */
const Required = 1;
const ReadOnly = 2;

export interface TypeIndex {
  /** "Microsoft.Web/sites@2024-04-01" → the file's entries and the body reference. */
  resources: Map<string, { entries: TypeEntry[]; body: TypeRef }>;
  /** API versions the files hold per resource type (for the error message). */
  versions: Map<string, string[]>;
}

export function loadTypeIndex(dir: string): TypeIndex | undefined {
  if (!existsSync(dir)) return undefined;
  const resources: TypeIndex['resources'] = new Map();
  const versions: TypeIndex['versions'] = new Map();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name === 'types.json') {
        const entries = JSON.parse(readFileSync(path.join(d, e.name), 'utf8')) as TypeEntry[];
        for (const entry of entries) {
          if (entry.$type !== 'ResourceType') continue;
          // Names are case-insensitive in ARM; the files spell providers as Azure documents them.
          resources.set(entry.name.toLowerCase(), { entries, body: entry.body });
          const [type, version] = entry.name.split('@') as [string, string];
          versions.set(type.toLowerCase(), [...(versions.get(type.toLowerCase()) ?? []), version]);
        }
      }
    }
  };
  walk(dir);
  return { resources, versions };
}

/** A Bicep value as far as it is a literal. */
export type BicepValue =
  | { kind: 'object'; entries: Array<[string, BicepValue]> }
  | { kind: 'array'; items: BicepValue[] }
  | { kind: 'string'; value: string; interpolated: boolean }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'expression'; text: string };

/** Splits the items of an array literal `[ … ]` (newline or comma separated at depth 0). */
function arrayItems(text: string): string[] {
  const items: string[] = [];
  let i = 1;
  let start = 1;
  const end = text.length - 1;
  while (i < end) {
    const c = text[i];
    if (c === '{' || c === '[' || c === '(') {
      i = skipBalanced(text, i);
      continue;
    }
    if (text.startsWith("'''", i)) {
      i = text.indexOf("'''", i + 3) + 3;
      continue;
    }
    if (c === "'") {
      i = stringEnd(text, i);
      continue;
    }
    if (c === '\n' || c === ',') {
      items.push(text.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  items.push(text.slice(start, end));
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** Index just past the single-quoted string at `start` (\' escapes, ${…} holes). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') {
      i += 2;
      continue;
    }
    if (text[i] === "'") return i + 1;
    if (text[i] === '$' && text[i + 1] === '{') {
      i = skipBalanced(text, i + 1);
      continue;
    }
    i++;
  }
  return i;
}

export function parseBicepValue(raw: string): BicepValue {
  const text = raw.trim();
  if (text.startsWith('{') && skipBalanced(text, 0) === text.length) {
    return { kind: 'object', entries: [...objectEntries(text)].map(([k, v]) => [k, parseBicepValue(v)]) };
  }
  if (text.startsWith('[') && skipBalanced(text, 0) === text.length) {
    const loop = /^\[\s*for\s[^:]*?\bin\s[\s\S]*?:\s*/.exec(text);
    // `[for x in xs: { … }]`: every item has the shape of the loop body.
    if (loop) return { kind: 'array', items: [parseBicepValue(text.slice(loop[0].length, -1))] };
    return { kind: 'array', items: arrayItems(text).map(parseBicepValue) };
  }
  if (text.startsWith("'''") && text.endsWith("'''") && text.length >= 6)
    return { kind: 'string', value: text.slice(3, -3), interpolated: false };
  if (text.startsWith("'") && stringEnd(text, 0) === text.length) {
    const body = text.slice(1, -1);
    return { kind: 'string', value: body.replace(/\\(.)/g, '$1'), interpolated: body.includes('${') };
  }
  if (/^-?\d+$/.test(text)) return { kind: 'number', value: Number(text) };
  if (text === 'true' || text === 'false') return { kind: 'bool', value: text === 'true' };
  if (text === 'null') return { kind: 'null' };
  return { kind: 'expression', text };
}

/** Keys Bicep itself understands in a resource body (not part of the resource's type). */
const bicepKeywords = new Set(['parent', 'scope', 'dependsOn']);

export interface TypeProblem {
  path: string;
  problem: string;
}

function resolve(entries: TypeEntry[], ref: TypeRef): TypeEntry {
  const index = Number(ref.$ref.replace('#/', ''));
  const entry = entries[index];
  if (!entry) throw new Error(`dangling type reference ${ref.$ref}`);
  return entry;
}

const describe = (t: TypeEntry): string =>
  t.$type === 'StringLiteralType'
    ? `'${t.value}'`
    : t.$type === 'ObjectType' || t.$type === 'DiscriminatedObjectType'
      ? t.name
      : t.$type.replace(/Type$/, '').toLowerCase();

/**
 * The values a bare identifier can take, when the file says: a parameter's @allowed list or its
 * literal default. Anything else (other expressions, parameters without either) is unknown.
 */
export type IdentifierValues = (name: string) => BicepValue[] | undefined;

let resolveIdentifier: IdentifierValues = () => undefined;

/** Every problem of `value` against type `ref` of `entries`. */
function check(entries: TypeEntry[], ref: TypeRef, value: BicepValue, at: string, top: boolean, existing: boolean): TypeProblem[] {
  if (value.kind === 'expression') {
    const values = /^\w+$/.test(value.text) ? resolveIdentifier(value.text) : undefined;
    return (values ?? []).flatMap((v) =>
      check(entries, ref, v, at, top, existing).map((p) => ({
        ...p,
        problem: `${p.problem} (${value.text} = ${v.kind === 'string' ? `'${v.value}'` : v.kind})`,
      })),
    );
  }
  const type = resolve(entries, ref);
  const problems: TypeProblem[] = [];
  const mismatch = (expected: string) => [{ path: at, problem: `expected ${expected}, got a ${value.kind} literal` }];
  switch (type.$type) {
    case 'AnyType':
    case 'ResourceFunctionType':
      return [];
    case 'StringType': {
      if (value.kind !== 'string') return mismatch('a string');
      if (value.interpolated) return [];
      if (type.minLength !== undefined && value.value.length < type.minLength)
        problems.push({ path: at, problem: `shorter than ${type.minLength}` });
      if (type.maxLength !== undefined && value.value.length > type.maxLength)
        problems.push({ path: at, problem: `longer than ${type.maxLength}` });
      if (type.pattern && !new RegExp(type.pattern).test(value.value))
        problems.push({ path: at, problem: `${JSON.stringify(value.value)} does not match ${type.pattern}` });
      return problems;
    }
    case 'StringLiteralType':
      if (value.kind !== 'string') return mismatch(`'${type.value}'`);
      return value.interpolated || value.value === type.value
        ? []
        : [{ path: at, problem: `${JSON.stringify(value.value)} is not '${type.value}'` }];
    case 'IntegerType':
      if (value.kind !== 'number') return mismatch('an integer');
      if (type.minValue !== undefined && value.value < type.minValue)
        problems.push({ path: at, problem: `below the minimum ${type.minValue}` });
      if (type.maxValue !== undefined && value.value > type.maxValue)
        problems.push({ path: at, problem: `above the maximum ${type.maxValue}` });
      return problems;
    case 'BooleanType':
      return value.kind === 'bool' ? [] : mismatch('a boolean');
    case 'ArrayType':
      if (value.kind !== 'array') return mismatch('an array');
      return value.items.flatMap((item, i) => check(entries, type.itemType, item, `${at}[${i}]`, false, existing));
    case 'UnionType': {
      const options = type.elements.map((e) => check(entries, e, value, at, top, existing));
      if (options.some((o) => o.length === 0)) return [];
      const literals = type.elements.map((e) => resolve(entries, e)).filter((e) => e.$type === 'StringLiteralType');
      if (value.kind === 'string' && literals.length === type.elements.length) {
        return [{ path: at, problem: `${JSON.stringify(value.value)} is not one of ${literals.map(describe).join(', ')}` }];
      }
      // The closest option: the one with the fewest problems.
      return options.sort((a, b) => a.length - b.length)[0]!;
    }
    case 'ObjectType':
    case 'DiscriminatedObjectType': {
      if (value.kind !== 'object') return mismatch(`an object (${type.name})`);
      let properties: Record<string, Property>;
      let additional: TypeRef | undefined;
      if (type.$type === 'ObjectType') {
        properties = type.properties ?? {};
        additional = type.additionalProperties;
      } else {
        const chosen = value.entries.find(([k]) => k === type.discriminator)?.[1];
        const element = chosen?.kind === 'string' && !chosen.interpolated ? type.elements[chosen.value] : undefined;
        if (chosen?.kind === 'string' && !chosen.interpolated && !element) {
          return [
            {
              path: `${at}.${type.discriminator}`,
              problem: `${JSON.stringify(chosen.value)} is not one of ${Object.keys(type.elements).join(', ')}`,
            },
          ];
        }
        const elements = element ? [element] : Object.values(type.elements);
        properties = { ...type.baseProperties };
        for (const e of elements) {
          const resolved = resolve(entries, e);
          if (resolved.$type === 'ObjectType') Object.assign(properties, resolved.properties);
        }
      }
      for (const [key, v] of value.entries) {
        if (top && bicepKeywords.has(key)) continue;
        const where = `${at}.${key}`;
        const prop = properties[key];
        if (!prop) {
          if (additional) problems.push(...check(entries, additional, v, where, false, existing));
          else problems.push({ path: where, problem: `not a property of ${type.name}` });
          continue;
        }
        if (prop.flags & ReadOnly && !(prop.flags & Required)) {
          problems.push({ path: where, problem: `read-only in ${type.name}` });
          continue;
        }
        problems.push(...check(entries, prop.type, v, where, false, existing));
      }
      if (!existing) {
        for (const [key, prop] of Object.entries(properties)) {
          if (prop.flags & Required && !(prop.flags & ReadOnly) && !value.entries.some(([k]) => k === key)) {
            problems.push({ path: `${at}.${key}`, problem: `required by ${type.name} but not set` });
          }
        }
      }
      return problems;
    }
    default:
      return [{ path: at, problem: `unknown type entry ${(type as { $type: string }).$type}` }];
  }
}

export interface ResourceDeclaration {
  file: string;
  symbol: string;
  type: string;
  apiVersion: string;
  existing: boolean;
  body: string;
}

/** Values of a file's parameters: every @allowed value, else the literal default. */
export function parameterValues(code: string): IdentifierValues {
  const values = new Map<string, BicepValue[]>();
  const lines = code.split('\n');
  let allowed: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const decorator = /^@allowed\(/.exec(line);
    if (decorator) {
      const start = code.indexOf('[', lines.slice(0, i).join('\n').length + decorator.index);
      allowed = code.slice(start, skipBalanced(code, start));
      continue;
    }
    const param = /^param (\w+) \w+(?: = (.+))?$/.exec(line);
    if (param) {
      const list = allowed ? parseBicepValue(allowed) : undefined;
      const fallback = param[2] ? parseBicepValue(param[2]) : undefined;
      if (list?.kind === 'array') values.set(param[1]!, list.items);
      else if (fallback && fallback.kind !== 'expression') values.set(param[1]!, [fallback]);
      allowed = undefined;
    } else if (line.trim() !== '' && !line.startsWith('@')) allowed = undefined;
  }
  return (name) => values.get(name);
}

/** Problems of one `resource` declaration against the type files. */
export function resourceProblems(
  index: TypeIndex,
  resource: ResourceDeclaration,
  identifiers: IdentifierValues = () => undefined,
): TypeProblem[] {
  resolveIdentifier = identifiers;
  const at = `${resource.file}:${resource.symbol}`;
  const found = index.resources.get(`${resource.type}@${resource.apiVersion}`.toLowerCase());
  if (!found) {
    const versions = index.versions.get(resource.type.toLowerCase());
    return [
      {
        path: at,
        problem: versions
          ? `API version ${resource.apiVersion} of ${resource.type} not in the type files (have ${versions.join(', ')})`
          : `resource type ${resource.type} not in the type files`,
      },
    ];
  }
  const value = parseBicepValue(resource.body);
  // A loop declares every item with the loop body's shape.
  const bodies = value.kind === 'array' ? value.items : [value];
  return bodies.flatMap((b) => check(found.entries, found.body, b, at, true, resource.existing));
}
