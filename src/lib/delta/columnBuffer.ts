/**
 * A data file being built, held as columns: each validated row's values are appended to one
 * accumulator per column that keeps the Parquet physical value and the Delta stats (null count,
 * min, max) in the same step. The writer then no longer keeps row objects alive until a flush, and
 * neither re-walks the rows for the Parquet columns nor again for the stats.
 */
import { decimalToUnscaled, parseDecimalType } from './decimal';
import { dateToDays, daysToDate } from './parquet';
import { isoToMicros } from './timestamp';
import { boundedStats, compareUtf8, type FileStats } from './stats';
import type { DeltaField, DeltaRow } from './types';
import { valueText } from '../errors/valueText';

const maxCachedValues = 100_000;

interface ColumnAccumulator {
  readonly field: DeltaField;
  /** Physical values as hyparquet-writer takes them (null for a missing value). */
  readonly values: unknown[];
  nulls: number;
  push(value: unknown): void;
  /** min/max in the Delta stats form, or undefined when the column has no bounds. */
  bounds(): { min: string | number; max: string | number } | undefined;
}

class NumberColumn implements ColumnAccumulator {
  readonly values: unknown[] = [];
  nulls = 0;
  private min = Infinity;
  private max = -Infinity;
  private nonFinite = false;

  constructor(
    readonly field: DeltaField,
    private readonly bigint: boolean,
  ) {}

  push(value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      this.values.push(null);
      return;
    }
    const n = value as number;
    if (!Number.isFinite(n)) this.nonFinite = true;
    else {
      if (n < this.min) this.min = n;
      if (n > this.max) this.max = n;
    }
    this.values.push(this.bigint ? BigInt(n) : n);
  }

  bounds(): { min: number; max: number } | undefined {
    return this.nonFinite || this.min > this.max ? undefined : { min: this.min, max: this.max };
  }
}

/** Booleans and binary: nulls counted, no bounds (Delta collects none for them). */
class BooleanColumn implements ColumnAccumulator {
  readonly values: unknown[] = [];
  nulls = 0;
  constructor(readonly field: DeltaField) {}
  push(value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      this.values.push(null);
    } else this.values.push(value);
  }
  bounds(): undefined {
    return undefined;
  }
}

class StringColumn implements ColumnAccumulator {
  readonly values: unknown[] = [];
  nulls = 0;
  private min: string | undefined;
  private max: string | undefined;
  constructor(readonly field: DeltaField) {}
  push(value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      this.values.push(null);
      return;
    }
    const s = value as string;
    if (this.min === undefined || this.max === undefined) {
      this.min = s;
      this.max = s;
    } else if (s !== this.min && s !== this.max) {
      if (compareUtf8(s, this.min) < 0) this.min = s;
      else if (compareUtf8(s, this.max) > 0) this.max = s;
    }
    this.values.push(s);
  }
  bounds(): { min: string; max: string } | undefined {
    return this.min === undefined || this.max === undefined ? undefined : { min: this.min, max: this.max };
  }
}

/** Dates as days since the epoch (INT32 DATE); bounds compared as days, reported as 'YYYY-MM-DD'. */
class DateColumn implements ColumnAccumulator {
  readonly values: unknown[] = [];
  nulls = 0;
  private min = Infinity;
  private max = -Infinity;
  private readonly days = new Map<string, number>();
  constructor(readonly field: DeltaField) {}
  push(value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      this.values.push(null);
      return;
    }
    const s = value as string;
    let d = this.days.get(s);
    if (d === undefined) {
      d = dateToDays(s);
      if (this.days.size < maxCachedValues) this.days.set(s, d);
    }
    if (d < this.min) this.min = d;
    if (d > this.max) this.max = d;
    this.values.push(d);
  }
  bounds(): { min: string; max: string } | undefined {
    return this.min > this.max ? undefined : { min: daysToDate(this.min), max: daysToDate(this.max) };
  }
}

/** Timestamps as INT64 microseconds; bounds compared as epoch milliseconds, reported as ISO UTC. */
class TimestampColumn implements ColumnAccumulator {
  readonly values: unknown[] = [];
  nulls = 0;
  private min = Infinity;
  private max = -Infinity;
  private lastText = '';
  private lastMs = 0;
  private lastMicros = 0n;
  private lastSubMs = false;
  constructor(readonly field: DeltaField) {}
  push(value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      this.values.push(null);
      return;
    }
    const s = value as string;
    // Lines of one order share a time: reuse the previous conversion.
    if (s !== this.lastText) {
      const ms = Date.parse(s);
      this.lastText = s;
      this.lastMs = ms;
      // Whole milliseconds (the common case) without a string scan; microseconds kept otherwise.
      this.lastMicros = Number.isSafeInteger(ms * 1000) ? BigInt(ms * 1000) : BigInt(ms) * 1000n;
      this.lastSubMs = /\.\d{4}/.test(s);
      if (this.lastSubMs) this.lastMicros = isoToMicros(s) ?? this.lastMicros;
    }
    if (this.lastMs < this.min) this.min = this.lastMs;
    // Stats are in milliseconds: a max with microseconds rounds up to stay an upper bound.
    const upper = this.lastSubMs ? this.lastMs + 1 : this.lastMs;
    if (upper > this.max) this.max = upper;
    this.values.push(this.lastMicros);
  }
  bounds(): { min: string; max: string } | undefined {
    return this.min > this.max ? undefined : { min: new Date(this.min).toISOString(), max: new Date(this.max).toISOString() };
  }
}

/**
 * Decimals as the unscaled bigint hyparquet-writer encodes exactly. No bounds: a JSON stats number
 * could not carry 38 digits exactly, and a missing bound only means a file is never skipped.
 */
class DecimalColumn implements ColumnAccumulator {
  readonly values: unknown[] = [];
  nulls = 0;
  private readonly scale: number;
  constructor(readonly field: DeltaField) {
    this.scale = parseDecimalType(field.type)?.scale ?? 0;
  }
  push(value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      this.values.push(null);
      return;
    }
    const unscaled = decimalToUnscaled(value as string, this.scale);
    if (unscaled === undefined) throw new RangeError(`column ${this.field.name}: ${valueText(value)} is not a ${this.field.type}`);
    this.values.push(unscaled);
  }
  bounds(): undefined {
    return undefined;
  }
}

function accumulatorFor(field: DeltaField): ColumnAccumulator {
  switch (field.type) {
    case 'long':
      return new NumberColumn(field, true);
    case 'integer':
    case 'short':
    case 'byte':
    case 'double':
    case 'float':
      return new NumberColumn(field, false);
    case 'boolean':
    case 'binary':
      return new BooleanColumn(field);
    case 'string':
      return new StringColumn(field);
    case 'date':
      return new DateColumn(field);
    case 'timestamp':
      return new TimestampColumn(field);
    case 'timestamp_ntz':
      throw new RangeError(`column ${field.name}: timestamp_ntz is read only (writer 2)`);
    default:
      return new DecimalColumn(field);
  }
}

export class ColumnBuffer {
  private readonly columns: ColumnAccumulator[];
  length = 0;

  constructor(readonly fields: readonly DeltaField[]) {
    this.columns = fields.map(accumulatorFor);
  }

  /** Appends a row already checked against the schema. */
  push(row: DeltaRow): void {
    for (const column of this.columns) column.push(row[column.field.name]);
    this.length++;
  }

  /** Physical column data in field order. */
  columnData(): unknown[][] {
    return this.columns.map((c) => c.values);
  }

  stats(): FileStats {
    return boundedStats(
      this.length,
      this.columns.map((c) => ({ field: c.field, nulls: c.nulls, bounds: c.bounds() })),
    );
  }
}
