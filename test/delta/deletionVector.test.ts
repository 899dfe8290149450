/**
 * Deletion vector decoding on bitmaps built here byte by byte from the formats the Delta protocol
 * and the Roaring "portable" spec describe (array, run and bitmap containers; inline Z85 vectors;
 * a checksum that does not match). The golden tables (goldenConformance) cover Spark's own files.
 */
import { crc32 } from 'node:zlib';
import { decodeRoaringBitmapArray, deletionVectorFile, loadDeletionVector, z85Decode } from '../../src/lib/delta/deletionVector';
import { DeltaProtocolError } from '../../src/lib/errors';

const z85Alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
function z85Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = (((bytes[i] ?? 0) << 24) | ((bytes[i + 1] ?? 0) << 16) | ((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0)) >>> 0;
    const chunk: string[] = [];
    for (let k = 0; k < 5; k++) {
      chunk.unshift(z85Alphabet[value % 85] as string);
      value = Math.floor(value / 85);
    }
    out += chunk.join('');
  }
  return out;
}

class Bytes {
  private readonly parts: number[] = [];
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  u64(v: number): this {
    return this.u32(v).u32(0);
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** RoaringBitmapArray with one 32-bit bitmap (high key 0): an array container (key 0) and a run container (key 1). */
function withRunContainer(): Uint8Array {
  const b = new Bytes().u32(1681511377).u64(1).u32(0);
  b.u32(12347 | ((2 - 1) << 16)).u8(0b10); // cookie with run containers, 2 containers; container 1 is a run
  b.u16(0)
    .u16(3 - 1)
    .u16(1)
    .u16(5 - 1); // key 0: 3 values; key 1: 5 values
  b.u16(3).u16(7).u16(65535); // array container
  b.u16(1).u16(10).u16(4); // run container: 1 run, 10..14
  return b.done();
}

describe('Delta deletion vectors', () => {
  it('decodes array and run containers, and bitmap containers under a high key', () => {
    expect([...decodeRoaringBitmapArray(withRunContainer())].sort((x, y) => x - y)).toEqual([
      3, 7, 65535, 65546, 65547, 65548, 65549, 65550,
    ]);
    const bitmap = new Bytes().u32(1681511377).u64(1).u32(1); // high key 1: values + 2^32
    bitmap
      .u32(12346)
      .u32(1)
      .u16(0)
      .u16(4097 - 1)
      .u32(0); // no runs, 1 container of 4097 values (a bitmap), its offset
    for (let w = 0; w < 2048; w++) bitmap.u32(w < 128 ? 0xffffffff : w === 128 ? 1 : 0); // values 0..4096
    const values = decodeRoaringBitmapArray(bitmap.done());
    expect(values.size).toBe(4097);
    expect(values.has(4294967296)).toBe(true);
    expect(values.has(4294967296 + 4096)).toBe(true);
    expect(values.has(4294967296 + 4097)).toBe(false);
  });

  it('reads an inline vector and a vector file, and refuses a torn one by name', async () => {
    const bitmap = withRunContainer();
    const padded = new Uint8Array(Math.ceil(bitmap.length / 4) * 4);
    padded.set(bitmap);
    expect(z85Decode(z85Encode(padded))).toEqual(padded);
    const inline = { storageType: 'i', pathOrInlineDv: z85Encode(padded), sizeInBytes: bitmap.length, cardinality: 8 };
    expect((await loadDeletionVector('t', inline, () => Promise.reject(new Error('no file')))).size).toBe(8);

    const uuid = Uint8Array.from({ length: 16 }, (_, i) => i * 16 + i);
    const descriptor = { storageType: 'u', pathOrInlineDv: `ab${z85Encode(uuid)}`, offset: 1, sizeInBytes: bitmap.length, cardinality: 8 };
    expect(deletionVectorFile('t', descriptor)).toBe('ab/deletion_vector_00112233-4455-6677-8899-aabbccddeeff.bin');
    const file = new Uint8Array(1 + 4 + bitmap.length + 4);
    const view = new DataView(file.buffer);
    file[0] = 1;
    view.setUint32(1, bitmap.length, false);
    file.set(bitmap, 5);
    view.setUint32(5 + bitmap.length, crc32(bitmap), false);
    const files = new Map([[deletionVectorFile('t', descriptor), file]]);
    const read = (p: string): Promise<Uint8Array> => Promise.resolve(files.get(p) as Uint8Array);
    expect((await loadDeletionVector('t', descriptor, read)).size).toBe(8);

    file[6] = (file[6] as number) ^ 0xff; // one flipped byte
    await expect(loadDeletionVector('t', descriptor, read)).rejects.toThrow(DeltaProtocolError);
    await expect(loadDeletionVector('t', descriptor, read)).rejects.toThrow(/deletion vector u.* could not be read: checksum mismatch/);
    await expect(loadDeletionVector('t', { ...inline, cardinality: 9 }, read)).rejects.toThrow(/8 rows in the bitmap, cardinality 9/);
  });
});
