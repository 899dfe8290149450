import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';
import { SettingsError, ValidationError, errorText } from '../lib/errors';

/** JSON error bodies: { error: { code, field?, message } }. */
export function jsonError(status: number, code: string, message: string, field?: string): HttpResponseInit {
  return { status, jsonBody: { error: { code, ...(field ? { field } : {}), message } } };
}

/** Turns a zod failure into a 400 that names the field and the value it got. */
export function validationResponse(error: z.ZodError, source: Record<string, unknown>): HttpResponseInit {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || 'body';
  const value = issue?.path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[String(k)] : undefined),
    source,
  );
  const shown = value === undefined ? 'missing' : JSON.stringify(value)?.slice(0, 100);
  return jsonError(400, 'validation', `${field}: ${issue?.message ?? 'invalid'} (got ${shown})`, field);
}

/** Deepest nesting of arrays and objects a request body may have. */
export const maxBodyDepth = 8;
export const maxBodyBytes = 64 * 1024;

/** Nesting depth of JSON text, counted outside strings, stopping early past `limit`. */
function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * Answers never carry a local filesystem path (a workspace, a temp folder, file:// URLs): they
 * are cut to `…/<last segment>`. Relative URLs such as `/api/runs/<id>` are kept.
 */
export function withoutLocalPaths<T>(value: T): T {
  const redact = (text: string): string =>
    text
      .replace(/file:\/\/[^\s"'<>]+/g, (m) => `…/${m.slice(m.lastIndexOf('/') + 1)}`)
      .replace(/(?<![A-Za-z0-9_.~:/%-])\/(?!api\/)[^\s"'<>/]+(?:\/[^\s"'<>/]*)+/g, (m) => `…/${m.slice(m.lastIndexOf('/') + 1)}`)
      .replace(/(?<![A-Za-z0-9])[A-Za-z]:\\[^\s"'<>]+/g, (m) => `…\\${m.slice(m.lastIndexOf('\\') + 1)}`);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** Reads a JSON body; an empty body is {}. Returns a 400 response for malformed JSON. */
export async function readJsonBody(
  request: HttpRequest,
): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; response: HttpResponseInit }> {
  const text = await request.text();
  if (text.trim() === '') return { ok: true, body: {} };
  if (text.length > maxBodyBytes) return { ok: false, response: jsonError(413, 'validation', 'Request body is larger than 64 KB', 'body') };
  if (jsonDepth(text, maxBodyDepth) > maxBodyDepth)
    return { ok: false, response: jsonError(400, 'validation', `Request body is nested deeper than ${maxBodyDepth} levels`, 'body') };
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { ok: false, response: jsonError(400, 'validation', 'Request body must be a JSON object', 'body') };
    }
    return { ok: true, body: parsed as Record<string, unknown> };
  } catch (err) {
    return { ok: false, response: jsonError(400, 'validation', `Request body is not valid JSON: ${errorText(err, 200)}`, 'body') };
  }
}

/** Maps errors thrown by handlers: bad input → 400, bad settings → 500 naming the setting, else 500. */
export function errorResponse(err: unknown): HttpResponseInit {
  if (err instanceof ValidationError) return withoutLocalPaths(jsonError(400, 'validation', err.message, err.field));
  if (err instanceof SettingsError) return jsonError(500, 'settings', err.message, err.setting);
  return withoutLocalPaths(jsonError(500, 'internal', errorText(err, 500)));
}
