/**
 * Timestamps as sources write them: RFC 3339 with an offset or Z, local wall times without a zone
 * (read in the source's IANA time zone), epoch numbers, or a date-fns pattern such as
 * `dd/MM/yyyy HH:mm`.
 */
import { isValid, parse } from 'date-fns';
import { instantOfWallTime } from './zonedTime';

export type TimestampFormat = string;

const zoned = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})$/i;
const local = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

export type TimestampResult = { ok: true; epochMs: number } | { ok: false; detail: string };

function realWall(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

const ms = (fraction: string | undefined): number => (fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0);

/**
 * The instant a source timestamp denotes. `format` is `auto` (default), `epoch-seconds`,
 * `epoch-millis`, or a date-fns pattern; local times are read in `timeZone`.
 */
export function parseTimestamp(value: unknown, format: TimestampFormat, timeZone: string): TimestampResult {
  if (format === 'epoch-seconds' || format === 'epoch-millis') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isFinite(n))
      return { ok: false, detail: `expected a number of ${format === 'epoch-seconds' ? 'seconds' : 'milliseconds'} since 1970` };
    return { ok: true, epochMs: Math.round(format === 'epoch-seconds' ? n * 1000 : n) };
  }
  if (typeof value !== 'string') return { ok: false, detail: 'expected a timestamp text' };
  const text = value.trim();
  if (format !== 'auto') {
    const parsed = parse(text, format, new Date(0));
    if (!isValid(parsed)) return { ok: false, detail: `does not match format ${JSON.stringify(format)}` };
    // A pattern with a zone token gives an instant; otherwise the fields are the source's wall time.
    if (/[xXO]/.test(format.replace(/'[^']*'/g, ''))) return { ok: true, epochMs: parsed.getTime() };
    return {
      ok: true,
      epochMs: instantOfWallTime(
        {
          year: parsed.getFullYear(),
          month: parsed.getMonth() + 1,
          day: parsed.getDate(),
          hour: parsed.getHours(),
          minute: parsed.getMinutes(),
          second: parsed.getSeconds(),
          millisecond: parsed.getMilliseconds(),
        },
        timeZone,
      ),
    };
  }
  const z = zoned.exec(text);
  if (z) {
    const [, y, mo, d, h, mi, s, f, offset] = z as unknown as string[];
    if (!realWall(+y!, +mo!, +d!, +h!, +mi!, +(s ?? 0))) return { ok: false, detail: 'not a real calendar date and time' };
    const wallUtc = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +(s ?? 0), ms(f));
    if (/^z$/i.test(offset!)) return { ok: true, epochMs: wallUtc };
    const sign = offset!.startsWith('-') ? -1 : 1;
    const digits = offset!.replace(/[+:-]/g, '');
    const offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    return { ok: true, epochMs: wallUtc - offsetMinutes * 60_000 };
  }
  const l = local.exec(text);
  if (l) {
    const [, y, mo, d, h, mi, s, f] = l as unknown as Array<string | undefined>;
    if (!realWall(+y!, +mo!, +d!, +(h ?? 0), +(mi ?? 0), +(s ?? 0))) return { ok: false, detail: 'not a real calendar date and time' };
    return {
      ok: true,
      epochMs: instantOfWallTime(
        { year: +y!, month: +mo!, day: +d!, hour: +(h ?? 0), minute: +(mi ?? 0), second: +(s ?? 0), millisecond: ms(f) },
        timeZone,
      ),
    };
  }
  return { ok: false, detail: 'expected ISO 8601 (2017-10-02 10:56:33, 2017-10-02T10:56:33-03:00 or …Z), or set "format"' };
}
