/**
 * Order lines of one order month from one scanned chunk of Bronze, as columns: what the first
 * (parallel) pass of the Silver build hands to the second (month by month) pass through spill
 * files. Lines are validated and normalised, rule-classified, and carry the two fingerprints the
 * second pass de-duplicates by, so that pass never re-parses or re-hashes text.
 */
import { FingerprintSet } from './fingerprintSet';
import { duplicateKey } from './orderLineCleanser';
import type { OrderLine } from './orderRecord';

export const lineKind = { demand: 0, cancellation: 1, quarantine: 2 } as const;
export type LineKind = (typeof lineKind)[keyof typeof lineKind];

/** A line a stateless rule rejected; quarantined in the second pass unless it is a re-delivery. */
export interface RuleRejection {
  /** Position of the line in the batch. */
  line: number;
  reason: string;
  detail: string;
  raw: string;
}

export interface LineBatch {
  month: string;
  length: number;
  kind: Uint8Array;
  /** Index into sourcePaths, and the record's position in its Bronze part. */
  source: Int32Array;
  sourcePaths: string[];
  recordIndex: Float64Array;
  orderLineId: string[];
  invoiceNo: string[];
  sku: string[];
  description: Array<string | null>;
  quantity: Float64Array;
  unitPrice: Float64Array;
  customerId: Array<string | null>;
  country: Array<string | null>;
  /** ISO text of the order time and its epoch milliseconds. */
  orderTs: string[];
  orderMs: Float64Array;
  /** Fingerprints of orderLineId and of the exact-duplicate key (see FingerprintSet). */
  idHi: Uint32Array;
  idLo: Uint32Array;
  dupHi: Uint32Array;
  dupLo: Uint32Array;
  rejections: RuleRejection[];
}

/** Accumulates one month's lines of a chunk; build() trims the columns to their length. */
export class LineBatchBuilder {
  private capacity = 256;
  private length = 0;
  private readonly sourceIds = new Map<string, number>();
  private lastTsText = '';
  private lastMs = 0;
  private batch: LineBatch;

  constructor(readonly month: string) {
    this.batch = LineBatchBuilder.allocate(month, this.capacity);
  }

  private static allocate(month: string, n: number): LineBatch {
    return {
      month,
      length: 0,
      kind: new Uint8Array(n),
      source: new Int32Array(n),
      sourcePaths: [],
      recordIndex: new Float64Array(n),
      orderLineId: [],
      invoiceNo: [],
      sku: [],
      description: [],
      quantity: new Float64Array(n),
      unitPrice: new Float64Array(n),
      customerId: [],
      country: [],
      orderTs: [],
      orderMs: new Float64Array(n),
      idHi: new Uint32Array(n),
      idLo: new Uint32Array(n),
      dupHi: new Uint32Array(n),
      dupLo: new Uint32Array(n),
      rejections: [],
    };
  }

  private grow(): void {
    const next = LineBatchBuilder.allocate(this.month, this.capacity * 2);
    const b = this.batch;
    for (const key of ['kind', 'source', 'recordIndex', 'quantity', 'unitPrice', 'orderMs', 'idHi', 'idLo', 'dupHi', 'dupLo'] as const) {
      (next[key] as { set(a: ArrayLike<number>): void }).set(b[key]);
    }
    next.sourcePaths = b.sourcePaths;
    next.orderLineId = b.orderLineId;
    next.invoiceNo = b.invoiceNo;
    next.sku = b.sku;
    next.description = b.description;
    next.customerId = b.customerId;
    next.country = b.country;
    next.orderTs = b.orderTs;
    next.rejections = b.rejections;
    this.batch = next;
    this.capacity *= 2;
  }

  add(line: OrderLine, kind: LineKind, sourcePath: string, recordIndex: number, rejection?: Omit<RuleRejection, 'line'>): void {
    if (this.length === this.capacity) this.grow();
    const b = this.batch;
    const i = this.length;
    let source = this.sourceIds.get(sourcePath);
    if (source === undefined) {
      source = b.sourcePaths.length;
      b.sourcePaths.push(sourcePath);
      this.sourceIds.set(sourcePath, source);
    }
    b.kind[i] = kind;
    b.source[i] = source;
    b.recordIndex[i] = recordIndex;
    b.orderLineId.push(line.orderLineId);
    b.invoiceNo.push(line.invoiceNo);
    b.sku.push(line.sku);
    b.description.push(line.description);
    b.quantity[i] = line.quantity;
    b.unitPrice[i] = line.unitPrice;
    b.customerId.push(line.customerId);
    b.country.push(line.country);
    b.orderTs.push(line.orderTs);
    // Lines of one invoice share their time: parse each distinct time once in a row.
    if (line.orderTs !== this.lastTsText) {
      this.lastTsText = line.orderTs;
      this.lastMs = Date.parse(line.orderTs);
    }
    b.orderMs[i] = this.lastMs;
    const id = FingerprintSet.fingerprintOf(line.orderLineId);
    b.idHi[i] = id.hi;
    b.idLo[i] = id.lo;
    const dup = FingerprintSet.fingerprintOf(duplicateKey(line));
    b.dupHi[i] = dup.hi;
    b.dupLo[i] = dup.lo;
    if (rejection) b.rejections.push({ line: i, ...rejection });
    this.length += 1;
  }

  build(): LineBatch {
    const b = this.batch;
    const n = this.length;
    return {
      ...b,
      length: n,
      kind: b.kind.slice(0, n),
      source: b.source.slice(0, n),
      recordIndex: b.recordIndex.slice(0, n),
      quantity: b.quantity.slice(0, n),
      unitPrice: b.unitPrice.slice(0, n),
      orderMs: b.orderMs.slice(0, n),
      idHi: b.idHi.slice(0, n),
      idLo: b.idLo.slice(0, n),
      dupHi: b.dupHi.slice(0, n),
      dupLo: b.dupLo.slice(0, n),
    };
  }
}

/** Line i of a batch as an OrderLine (for the rare paths that need the object: quarantine text). */
export function lineOf(batch: LineBatch, i: number): OrderLine {
  const orderTs = batch.orderTs[i] as string;
  return {
    orderLineId: batch.orderLineId[i] as string,
    invoiceNo: batch.invoiceNo[i] as string,
    sku: batch.sku[i] as string,
    description: batch.description[i] ?? null,
    quantity: batch.quantity[i] as number,
    unitPrice: batch.unitPrice[i] as number,
    customerId: batch.customerId[i] ?? null,
    country: batch.country[i] ?? null,
    orderTs,
    orderDate: orderTs.slice(0, 10),
  };
}

/** The lines of a batch at `indexes` (ascending), as a batch of their own (its rejections renumbered). */
export function selectLines(batch: LineBatch, indexes: Int32Array): LineBatch {
  const n = indexes.length;
  const pick = <T>(values: readonly T[]): T[] => {
    const out = new Array<T>(n);
    for (let j = 0; j < n; j += 1) out[j] = values[indexes[j] as number] as T;
    return out;
  };
  const gather = <A extends Uint8Array | Int32Array | Uint32Array | Float64Array>(values: A, into: A): A => {
    for (let j = 0; j < n; j += 1) into[j] = values[indexes[j] as number] as number;
    return into;
  };
  const rejections: RuleRejection[] = [];
  if (batch.rejections.length > 0) {
    const at = new Map<number, number>();
    for (let j = 0; j < n; j += 1) at.set(indexes[j] as number, j);
    for (const r of batch.rejections) {
      const j = at.get(r.line);
      if (j !== undefined) rejections.push({ ...r, line: j });
    }
  }
  return {
    month: batch.month,
    length: n,
    kind: gather(batch.kind, new Uint8Array(n)),
    source: gather(batch.source, new Int32Array(n)),
    sourcePaths: batch.sourcePaths,
    recordIndex: gather(batch.recordIndex, new Float64Array(n)),
    orderLineId: pick(batch.orderLineId),
    invoiceNo: pick(batch.invoiceNo),
    sku: pick(batch.sku),
    description: pick(batch.description),
    quantity: gather(batch.quantity, new Float64Array(n)),
    unitPrice: gather(batch.unitPrice, new Float64Array(n)),
    customerId: pick(batch.customerId),
    country: pick(batch.country),
    orderTs: pick(batch.orderTs),
    orderMs: gather(batch.orderMs, new Float64Array(n)),
    idHi: gather(batch.idHi, new Uint32Array(n)),
    idLo: gather(batch.idLo, new Uint32Array(n)),
    dupHi: gather(batch.dupHi, new Uint32Array(n)),
    dupLo: gather(batch.dupLo, new Uint32Array(n)),
    rejections,
  };
}
