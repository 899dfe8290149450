/**
 * Just enough Bicep reading for structural tests (no Bicep compiler can be installed here):
 * strips comments, finds top-level declarations and their bodies, lists object keys.
 * Strings ('…', '''…''') and ${…} interpolations are skipped correctly when matching brackets.
 */
import * as fs from 'node:fs';

export interface BicepParam {
  name: string;
  type: string;
  hasDefault: boolean;
  secure: boolean;
  decorators: string;
}
export interface BicepResource {
  symbol: string;
  type: string;
  apiVersion: string;
  existing: boolean;
  body: string;
}
export interface BicepModule {
  symbol: string;
  path: string;
  body: string;
}
export interface BicepOutput {
  name: string;
  type: string;
  expression: string;
}
export interface BicepFile {
  path: string;
  /** Source with comments blanked out (strings kept). */
  code: string;
  params: BicepParam[];
  vars: Map<string, string>;
  resources: BicepResource[];
  modules: BicepModule[];
  outputs: BicepOutput[];
}

/** Replaces // and /* *\/ comments by spaces, leaving strings intact. */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      const stop = end < 0 ? text.length : end + 3;
      out += text.slice(i, stop);
      i = stop;
    } else if (text[i] === "'") {
      const stop = skipString(text, i);
      out += text.slice(i, stop);
      i = stop;
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** Index just past the single-quoted string starting at `start` (handles \' and ${…}). */
function skipString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === "'") return i + 1;
    if (c === '$' && text[i + 1] === '{') {
      i = skipBalanced(text, i + 1);
      continue;
    }
    i++;
  }
  return i;
}

/** Index just past the bracket group opening at `start` ({, [ or (). */
export function skipBalanced(text: string, start: number): number {
  const open = text[start];
  const close = open === '{' ? '}' : open === '[' ? ']' : ')';
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      i = end < 0 ? text.length : end + 3;
      continue;
    }
    if (c === "'") {
      i = skipString(text, i);
      continue;
    }
    if (c === open) depth++;
    else if (c === close) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  throw new Error(`Unbalanced ${open} at offset ${start}`);
}

/** The value after `=` of a declaration starting at `from`: a bracketed body or the rest of the line. */
function declarationValue(code: string, from: number): string {
  const eq = code.indexOf('=', from);
  let i = eq + 1;
  while (i < code.length && /\s/.test(code[i] ?? '')) i++;
  // `= if (cond) {` — skip the condition.
  if (code.startsWith('if', i) && /\s|\(/.test(code[i + 2] ?? '')) {
    const paren = code.indexOf('(', i);
    i = skipBalanced(code, paren);
    while (i < code.length && /\s/.test(code[i] ?? '')) i++;
  }
  const c = code[i];
  if (c === '{' || c === '[') return code.slice(i, skipBalanced(code, i));
  const lineEnd = code.indexOf('\n', i);
  return code.slice(i, lineEnd < 0 ? code.length : lineEnd).trim();
}

export function readBicep(filePath: string): BicepFile {
  const code = stripComments(fs.readFileSync(filePath, 'utf8'));
  const params: BicepParam[] = [];
  const vars = new Map<string, string>();
  const resources: BicepResource[] = [];
  const modules: BicepModule[] = [];
  const outputs: BicepOutput[] = [];
  const lines = code.split('\n');
  let offset = 0;
  let decorators = '';
  for (const line of lines) {
    const trimmed = line.trim();
    let m: RegExpMatchArray | null;
    if (trimmed.startsWith('@')) {
      decorators += trimmed + '\n';
    } else if ((m = /^param\s+(\w+)\s+(\w+)(\s*=)?/.exec(line))) {
      params.push({ name: m[1]!, type: m[2]!, hasDefault: Boolean(m[3]), secure: /@secure\(\)/.test(decorators), decorators });
      decorators = '';
    } else if ((m = /^var\s+(\w+)\s*=/.exec(line))) {
      vars.set(m[1]!, declarationValue(code, offset));
      decorators = '';
    } else if ((m = /^resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s+(existing\s*)?=/.exec(line))) {
      resources.push({ symbol: m[1]!, type: m[2]!, apiVersion: m[3]!, existing: Boolean(m[4]), body: declarationValue(code, offset) });
      decorators = '';
    } else if ((m = /^module\s+(\w+)\s+'([^']+)'\s*=/.exec(line))) {
      modules.push({ symbol: m[1]!, path: m[2]!, body: declarationValue(code, offset) });
      decorators = '';
    } else if ((m = /^output\s+(\w+)\s+(\w+)\s*=/.exec(line))) {
      outputs.push({ name: m[1]!, type: m[2]!, expression: declarationValue(code, offset) });
      decorators = '';
    } else if (trimmed !== '' && !/^\s/.test(line)) {
      decorators = '';
    }
    offset += line.length + 1;
  }
  return { path: filePath, code, params, vars, resources, modules, outputs };
}

/** Keys at the top level of an object literal body `{ … }`, with their raw value text. */
export function objectEntries(body: string): Map<string, string> {
  const entries = new Map<string, string>();
  if (!body.startsWith('{')) return entries;
  let i = 1;
  const end = body.length - 1;
  while (i < end) {
    const rest = body.slice(i, end);
    const m = /^\s*(?:(\w+)|'([^']*)')\s*:\s*/.exec(rest);
    if (!m) {
      i++;
      continue;
    }
    const key = (m[1] ?? m[2])!;
    let j = i + m[0].length;
    const valueStart = j;
    // A value ends at a newline (or comma) at depth 0.
    while (j < end) {
      const c = body[j];
      if (c === '{' || c === '[' || c === '(') {
        j = skipBalanced(body, j);
        continue;
      }
      if (c === "'") {
        j = body.startsWith("'''", j) ? body.indexOf("'''", j + 3) + 3 : skipString(body, j);
        continue;
      }
      if (c === '\n' || c === ',') break;
      j++;
    }
    entries.set(key, body.slice(valueStart, j).trim());
    i = j + 1;
  }
  return entries;
}

/** The body of property `name` (first occurrence, any depth) inside `body`. */
export function propertyBody(body: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*:\\s*`).exec(body);
  if (!m) return undefined;
  const start = m.index + m[0].length;
  const c = body[start];
  if (c === '{' || c === '[') return body.slice(start, skipBalanced(body, start));
  const lineEnd = body.indexOf('\n', start);
  return body.slice(start, lineEnd < 0 ? body.length : lineEnd).trim();
}

/** Parses `param x = value` lines of a .bicepparam file. */
export function readBicepParam(filePath: string): { using: string | undefined; values: Map<string, string> } {
  const code = stripComments(fs.readFileSync(filePath, 'utf8'));
  const using = /^using\s+'([^']+)'/m.exec(code)?.[1];
  const values = new Map<string, string>();
  const re = /^param\s+(\w+)\s*=\s*/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code))) {
    const start = m.index + m[0].length;
    const c = code[start];
    let value: string;
    if (c === '{' || c === '[') value = code.slice(start, skipBalanced(code, start));
    else {
      const lineEnd = code.indexOf('\n', start);
      value = code.slice(start, lineEnd < 0 ? code.length : lineEnd).trim();
    }
    values.set(m[1]!, value);
  }
  return { using, values };
}

/** A single-quoted Bicep literal's text, or undefined when the value is an expression. */
export function stringLiteral(value: string): string | undefined {
  const m = /^'((?:[^'\\$]|\\.|\$(?!\{))*)'$/.exec(value.trim());
  return m ? m[1]!.replace(/\\(.)/g, '$1') : undefined;
}
