import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { SettingsError, ValidationError, errorText } from '../lib/errors';

/** JSON error bodies: { error: { code, field?, message } }. */
export function jsonError(status: number, code: string, message: string, field?: string): HttpResponseInit {
  return { status, jsonBody: { error: { code, ...(field ? { field } : {}), message } } };
}

/** Turns a zod failure into a 400 that names the field and the value it got. */
export function validationResponse(error: z.ZodError, source: Record<string, unknown>): HttpResponseInit {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || 'body';
  const value = issue?.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[String(k)] : undefined), source);
  const shown = value === undefined ? 'missing' : JSON.stringify(value)?.slice(0, 100);
  return jsonError(400, 'validation', `${field}: ${issue?.message ?? 'invalid'} (got ${shown})`, field);
}

/** Reads a JSON body; an empty body is {}. Returns a 400 response for malformed JSON. */
export async function readJsonBody(request: HttpRequest): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; response: HttpResponseInit }> {
  const text = await request.text();
  if (text.trim() === '') return { ok: true, body: {} };
  if (text.length > 64 * 1024) return { ok: false, response: jsonError(413, 'validation', 'Request body is larger than 64 KB', 'body') };
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
  if (err instanceof ValidationError) return jsonError(400, 'validation', err.message, err.field);
  if (err instanceof SettingsError) return jsonError(500, 'settings', err.message, err.setting);
  return jsonError(500, 'internal', errorText(err, 500));
}
