import { ValidationError } from '../errors';

/**
 * Metric, param and tag keys as MLflow accepts them (mlflow/utils/validation.py, 2.x): letters,
 * digits, `_ - . /` and space only; not a path that normalises to something else (no `//`, no
 * leading `/`, no `.` or `..` parts, no trailing `/`); at most 250 characters. A real server
 * refuses the whole log-batch when one key breaks this, so both tracker adapters check every key
 * before anything is sent or stored.
 *
 * Keys the pipeline builds from data (a model name, a segment, a table) use one reversible
 * scheme, {@link keySegment}: each part keeps `[A-Za-z0-9_]` and writes any other character as
 * `-XX` per UTF-8 byte (upper-case hex), so a part never holds `.` and `parseKey` splits and
 * decodes it back exactly. Free text (fallback reasons, ensemble names) is not made into keys at
 * all: it is logged as JSON in tags (see registry/runMetrics.ts).
 */
export const maxKeyLength = 250;
/** MLflow's limits on values: params 6000 characters, run tags 5000. */
export const maxParamValueLength = 6000;
export const maxTagValueLength = 5000;

const validKey = /^[/\w.\- ]*$/;

/** Why MLflow would refuse this key, or undefined when it accepts it. */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'it is empty';
  if (key.length > maxKeyLength) return `it is ${key.length} characters long (at most ${maxKeyLength})`;
  // ASCII only (JS \w): Python's \w would also let other scripts' letters through; we never need them.
  if (!validKey.test(key))
    return 'names may only contain letters, digits, underscores (_), dashes (-), periods (.), spaces ( ) and slashes (/)';
  const parts = key.split('/');
  if (key.startsWith('/') || key.endsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    return 'it must not read as a path that resolves elsewhere (no leading, trailing or double "/", no "." or ".." parts)';
  }
  return undefined;
}

/** Throws a ValidationError naming the key (kind: metric, param or tag) when MLflow would refuse it. */
export function assertTrackingKey(kind: 'metric' | 'param' | 'tag', key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new ValidationError(`${kind}s.${key}`, `Invalid ${kind} key ${JSON.stringify(key)}: ${problem}`);
}

/** Throws when a param or tag value is longer than MLflow stores. */
export function assertTrackingValue(kind: 'param' | 'tag', key: string, value: string): void {
  const limit = kind === 'param' ? maxParamValueLength : maxTagValueLength;
  if (value.length > limit)
    throw new ValidationError(
      `${kind}s.${key}`,
      `Value of ${kind} ${key} is ${value.length} characters long (MLflow keeps at most ${limit})`,
    );
}

/** One key part built from data: `[A-Za-z0-9_]` kept, every other character as `-XX` per UTF-8 byte. */
export function keySegment(text: string): string {
  let out = '';
  for (const ch of text) {
    if (/^[A-Za-z0-9_]$/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `-${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The inverse of keySegment. */
export function parseKeySegment(segment: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '-') {
      const hex = segment.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex))
        throw new ValidationError('key', `Not an encoded key part: ${JSON.stringify(segment)} (bad escape at ${i})`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A dotted key from fixed names and data parts: trackingKey(['segment', segmentName, 'wape']) with every part encoded. */
export function trackingKey(parts: readonly string[]): string {
  return parts.map(keySegment).join('.');
}

/** Splits a key made by trackingKey back into its parts. */
export function parseTrackingKey(key: string): string[] {
  return key.split('.').map(parseKeySegment);
}
