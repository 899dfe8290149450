/**
 * Wall-clock time in IANA time zones with the platform's Intl data (no extra dependency):
 * a local time to an instant, and an instant to a zone's wall clock.
 */
import { ValidationError } from '../errors';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch (err) {
      throw new ValidationError(
        'timeZone',
        `Unknown IANA time zone ${JSON.stringify(timeZone)} (e.g. "Europe/London", "America/Sao_Paulo", "UTC")`,
        { cause: err },
      );
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws ValidationError when the zone is not an IANA name the runtime knows. */
export function assertTimeZone(timeZone: string): void {
  formatter(timeZone);
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

function wallOf(epochMs: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year as number,
    month: parts.month as number,
    day: parts.day as number,
    hour: (parts.hour as number) % 24,
    minute: parts.minute as number,
    second: parts.second as number,
    millisecond: ((epochMs % 1000) + 1000) % 1000,
  };
}

const asUtc = (w: WallTime): number => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);

/** The zone's offset from UTC at an instant, in ms. */
export function offsetInMs(epochMs: number, timeZone: string): number {
  const w = wallOf(Math.floor(epochMs / 1000) * 1000, timeZone);
  return asUtc({ ...w, millisecond: 0 }) - Math.floor(epochMs / 1000) * 1000;
}

/**
 * The instant a wall-clock time in a zone denotes. An ambiguous time (the repeated hour when clocks
 * go back) is its first occurrence; a time that does not exist (skipped when clocks go forward) is
 * read with the offset before the change, i.e. moved forward by the gap, as most platforms do.
 */
export function instantOfWallTime(wall: WallTime, timeZone: string): number {
  const guess = asUtc(wall);
  const before = offsetInMs(guess - 86_400_000 / 2, timeZone);
  const after = offsetInMs(guess + 86_400_000 / 2, timeZone);
  // First occurrence: try the earlier offset (the larger one when clocks go back) first.
  for (const offset of before >= after ? [before, after] : [after, before]) {
    const t = guess - offset;
    if (asUtc(wallOf(t, timeZone)) === guess) return t;
  }
  return guess - before;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** An instant on a zone's wall clock, `YYYY-MM-DDTHH:MM:SS`. */
export function localDateTime(epochMs: number, timeZone: string): string {
  const w = wallOf(epochMs, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** An instant as RFC 3339 UTC with milliseconds. */
export function instantText(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
