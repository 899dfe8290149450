/**
 * A spill buffer's values with room for `needed` of them: the same array when it has the room, else
 * one twice as long (as often as it takes) with the values kept. Spill buffers grow this way rather
 * than as number arrays grown by `push`, whose backing stores V8 promotes as garbage to the old
 * generation (issue 16, stop 28).
 */
export function withFloat64Room(values: Float64Array, needed: number): Float64Array {
  if (needed <= values.length) return values;
  let length = Math.max(1, values.length);
  while (length < needed) length *= 2;
  const grown = new Float64Array(length);
  grown.set(values);
  return grown;
}
