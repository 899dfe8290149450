/**
 * A set of 64-bit string fingerprints in flat typed arrays (open addressing), ~16 bytes per entry
 * instead of ~100 for a Set<string> of keys. Used for "seen this order line id / this exact line"
 * over a million lines. Two different keys share a fingerprint with probability ~n²/2⁶⁵
 * (≈3·10⁻⁸ at one million keys), which is accepted and documented in docs/cleansing-rules.md.
 */
export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  private count = 0;

  private constructor(capacityPow2: number) {
    this.hi = new Uint32Array(capacityPow2);
    this.lo = new Uint32Array(capacityPow2);
    this.mask = capacityPow2 - 1;
  }

  static withCapacity(expected = 1024): FingerprintSet {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    return new FingerprintSet(cap);
  }

  get size(): number {
    return this.count;
  }

  /** The key's 64-bit fingerprint, for callers that hash in one place (a worker) and test in another. */
  static fingerprintOf(key: string): { hi: number; lo: number } {
    fingerprint(key);
    return { hi: fpHi, lo: fpLo };
  }

  /** Adds the key; returns false when it was already there. */
  add(key: string): boolean {
    fingerprint(key);
    return this.addFingerprint(fpHi, fpLo);
  }

  /** add() for a fingerprint from fingerprintOf(). */
  addFingerprint(hi: number, lo: number): boolean {
    if (this.insert(hi, lo)) {
      this.count += 1;
      if (this.count * 2 > this.mask) this.grow();
      return true;
    }
    return false;
  }

  has(key: string): boolean {
    fingerprint(key);
    return this.hasFingerprint(fpHi, fpLo);
  }

  /** has() for a fingerprint from fingerprintOf(). */
  hasFingerprint(h: number, l: number): boolean {
    let i = (l ^ h) & this.mask;
    for (;;) {
      const eh = this.hi[i] as number;
      const el = this.lo[i] as number;
      if (eh === 0 && el === 0) return false;
      if (eh === h && el === l) return true;
      i = (i + 1) & this.mask;
    }
  }

  private insert(h: number, l: number): boolean {
    let i = (l ^ h) & this.mask;
    for (;;) {
      const eh = this.hi[i] as number;
      const el = this.lo[i] as number;
      if (eh === 0 && el === 0) {
        this.hi[i] = h;
        this.lo[i] = l;
        return true;
      }
      if (eh === h && el === l) return false;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const oldHi = this.hi;
    const oldLo = this.lo;
    const cap = oldHi.length * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < oldHi.length; i += 1) {
      const h = oldHi[i] as number;
      const l = oldLo[i] as number;
      if (h !== 0 || l !== 0) this.insert(h, l);
    }
  }
}

// The last fingerprint, in two module slots rather than a returned [hi, lo] pair: no array per key,
// and no array destructuring per key.
let fpHi = 0;
let fpLo = 0;

/**
 * Math.imul, as plain arithmetic: as fast under plain Node, and it stays inlined where Math comes
 * from another realm (Jest's sandbox made every Math.imul call a slow cross-context call: 45 s of
 * the Online Retail test).
 */
function imul(a: number, b: number): number {
  const aHi = (a >>> 16) & 0xffff;
  const aLo = a & 0xffff;
  const bHi = (b >>> 16) & 0xffff;
  const bLo = b & 0xffff;
  return (aLo * bLo + (((aHi * bLo + aLo * bHi) << 16) >>> 0)) | 0;
}

/** Two independent 32-bit multiplicative hashes (cyrb-style); (0,0) is reserved for "empty". */
function fingerprint(key: string): void {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i += 1) {
    const c = key.charCodeAt(i);
    h1 = imul(h1 ^ c, 2654435761);
    h2 = imul(h2 ^ c, 1597334677);
  }
  h1 = imul(h1 ^ (h1 >>> 16), 2246822507) ^ imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = imul(h2 ^ (h2 >>> 16), 2246822507) ^ imul(h1 ^ (h1 >>> 13), 3266489909);
  const hi = h1 >>> 0;
  const lo = h2 >>> 0;
  fpHi = hi;
  fpLo = hi === 0 && lo === 0 ? 1 : lo;
}
