/**
 * Deletion vectors (PROTOCOL.md, "Deletion Vectors"): the rows of a data file that a DELETE,
 * UPDATE or MERGE removed without rewriting it, as a set of row indexes. Stored inline in the log
 * (Z85 text) or in a `deletion_vector_<uuid>.bin` file next to the data; either way the set is a
 * RoaringBitmapArray (64-bit: 32-bit Roaring bitmaps in the portable format, keyed by the high
 * 32 bits). Only reading is implemented; this module never writes them.
 */
import { crc32 } from 'node:zlib';
import { DeltaProtocolError } from '../errors';

export interface DeletionVectorDescriptor {
  storageType: string;
  pathOrInlineDv: string;
  offset?: number | null;
  sizeInBytes: number;
  cardinality: number;
}

const z85Alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const z85Value = new Map([...z85Alphabet].map((c, i) => [c, i]));

/** Z85 (ZeroMQ base-85) text → bytes; a trailing partial group is decoded as far as it goes. */
export function z85Decode(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 4) / 5));
  let o = 0;
  for (let i = 0; i + 5 <= text.length; i += 5) {
    let value = 0;
    for (let k = 0; k < 5; k++) {
      const digit = z85Value.get(text[i + k] as string);
      if (digit === undefined) throw new RangeError(`not Z85: ${JSON.stringify(text[i + k])}`);
      value = value * 85 + digit;
    }
    out[o++] = (value >>> 24) & 0xff;
    out[o++] = (value >>> 16) & 0xff;
    out[o++] = (value >>> 8) & 0xff;
    out[o++] = value & 0xff;
  }
  return out.subarray(0, o);
}

/** A unique id of the vector (with the path, the key of a file in the replayed state). */
export function deletionVectorId(dv: DeletionVectorDescriptor): string {
  return `${dv.storageType}${dv.pathOrInlineDv}${dv.offset === null || dv.offset === undefined ? '' : `@${dv.offset}`}`;
}

/** The table-relative path of a vector stored in a file ('u': a prefix and a Z85 UUID; 'p': a path). */
export function deletionVectorFile(table: string, dv: DeletionVectorDescriptor): string {
  if (dv.storageType === 'p') return dv.pathOrInlineDv;
  const encoded = dv.pathOrInlineDv;
  if (encoded.length < 20)
    throw new DeltaProtocolError(table, `deletion vector path ${JSON.stringify(encoded)} is shorter than a Z85 UUID`);
  const prefix = encoded.slice(0, encoded.length - 20);
  const hex = Buffer.from(z85Decode(encoded.slice(-20))).toString('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return `${prefix ? `${prefix}/` : ''}deletion_vector_${uuid}.bin`;
}

const roaringArrayMagic = 1681511377;
const serialCookieNoRun = 12346;
const serialCookie = 12347;

/** One 32-bit Roaring bitmap in the portable format, its values (plus `high` × 2^32) added to `out`. */
function readRoaring32(view: DataView, start: number, high: number, out: Set<number>): number {
  let pos = start;
  const cookie = view.getUint32(pos, true);
  pos += 4;
  let size: number;
  let runFlags: Uint8Array | undefined;
  if ((cookie & 0xffff) === serialCookie) {
    size = (cookie >>> 16) + 1;
    runFlags = new Uint8Array(view.buffer, view.byteOffset + pos, Math.ceil(size / 8));
    pos += runFlags.length;
  } else if (cookie === serialCookieNoRun) {
    size = view.getUint32(pos, true);
    pos += 4;
  } else {
    throw new RangeError(`not a Roaring bitmap (cookie ${cookie})`);
  }
  const keys: number[] = [];
  const cardinalities: number[] = [];
  for (let i = 0; i < size; i++) {
    keys.push(view.getUint16(pos, true));
    cardinalities.push(view.getUint16(pos + 2, true) + 1);
    pos += 4;
  }
  // Container offsets: always without run containers, with them only from 4 containers on.
  if (!runFlags || size >= 4) pos += 4 * size;
  for (let i = 0; i < size; i++) {
    const base = high * 4294967296 + (keys[i] as number) * 65536;
    const isRun = runFlags !== undefined && ((runFlags[i >> 3] as number) & (1 << (i & 7))) !== 0;
    if (isRun) {
      const runs = view.getUint16(pos, true);
      pos += 2;
      for (let r = 0; r < runs; r++) {
        const from = view.getUint16(pos, true);
        const length = view.getUint16(pos + 2, true);
        pos += 4;
        for (let v = from; v <= from + length; v++) out.add(base + v);
      }
    } else if ((cardinalities[i] as number) <= 4096) {
      for (let k = 0; k < (cardinalities[i] as number); k++) out.add(base + view.getUint16(pos + 2 * k, true));
      pos += 2 * (cardinalities[i] as number);
    } else {
      for (let w = 0; w < 2048; w++) {
        const word = view.getUint32(pos + 4 * w, true);
        for (let b = 0; b < 32; b++) if ((word >>> b) & 1) out.add(base + w * 32 + b);
      }
      pos += 8192;
    }
  }
  return pos;
}

/** A serialized RoaringBitmapArray (magic, count, then key + 32-bit bitmap each) → row indexes. */
export function decodeRoaringBitmapArray(bytes: Uint8Array): Set<number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  if (magic !== roaringArrayMagic) throw new RangeError(`not a RoaringBitmapArray (magic ${magic})`);
  const count = Number(view.getBigUint64(4, true));
  const out = new Set<number>();
  let pos = 12;
  for (let i = 0; i < count; i++) {
    const high = view.getUint32(pos, true);
    pos = readRoaring32(view, pos + 4, high, out);
  }
  return out;
}

/**
 * The deleted row indexes of a vector. `readFile` gets the bytes of a table-relative file. A vector
 * in a file is `size (4 bytes, big-endian) | bitmap | CRC-32 (4 bytes, big-endian)` at `offset`.
 */
export async function loadDeletionVector(
  table: string,
  dv: DeletionVectorDescriptor,
  readFile: (relativePath: string) => Promise<Uint8Array>,
): Promise<Set<number>> {
  let bitmap: Uint8Array;
  try {
    if (dv.storageType === 'i') {
      bitmap = z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes);
    } else if (dv.storageType === 'u' || dv.storageType === 'p') {
      const file = await readFile(deletionVectorFile(table, dv));
      const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
      const offset = dv.offset ?? 1;
      const size = view.getUint32(offset, false);
      if (size !== dv.sizeInBytes) throw new RangeError(`size ${size} in the file, ${dv.sizeInBytes} in the log`);
      bitmap = file.subarray(offset + 4, offset + 4 + size);
      const checksum = view.getUint32(offset + 4 + size, false);
      if (crc32(bitmap) !== checksum) throw new RangeError('checksum mismatch');
    } else {
      throw new RangeError(`unknown storage type ${JSON.stringify(dv.storageType)}`);
    }
    const rows = decodeRoaringBitmapArray(bitmap);
    if (rows.size !== dv.cardinality) throw new RangeError(`${rows.size} rows in the bitmap, cardinality ${dv.cardinality} in the log`);
    return rows;
  } catch (err) {
    if (err instanceof DeltaProtocolError) throw err;
    throw new DeltaProtocolError(table, `deletion vector ${deletionVectorId(dv)} could not be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
