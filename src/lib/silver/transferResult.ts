/**
 * A worker task's result handed to the main thread by transfer rather than by copy: its large typed
 * arrays (encoded data files, a month's demand columns) move with the message. A copied result is
 * held twice while it crosses (the worker's, serialised, then the main thread's), and the worker's
 * copy stays until its next collection; moved, the worker lets go of it at once.
 */
import { Piscina, transferableSymbol, valueSymbol } from 'piscina';

/** Below this a copy is cheap, and small buffers may be slabs of Node's Buffer pool (never to be detached). */
const minTransferBytes = 64 * 1024;

/** Buffers a view covers whole (so nothing else of the worker's shares them), found through plain objects and arrays of objects. */
export function transferableBuffers(value: unknown, found: Set<ArrayBuffer> = new Set(), depth = 0): ArrayBuffer[] {
  if (depth > 4 || typeof value !== 'object' || value === null) return [...found];
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer;
    // Tag, not instanceof: a view may come from another realm (Jest's sandbox); shared memory is never moved.
    const plain = Object.prototype.toString.call(buffer) === '[object ArrayBuffer]';
    if (plain && value.byteOffset === 0 && value.byteLength === buffer.byteLength && buffer.byteLength >= minTransferBytes) {
      found.add(buffer as ArrayBuffer);
    }
    return [...found];
  }
  if (Array.isArray(value)) {
    // Arrays of text (dictionaries, ids) hold no buffer: only arrays of objects are walked.
    if (typeof value[0] === 'object') for (const item of value) transferableBuffers(item, found, depth + 1);
    return [...found];
  }
  if (Object.prototype.toString.call(value) !== '[object Object]') return [...found];
  for (const item of Object.values(value)) transferableBuffers(item, found, depth + 1);
  return [...found];
}

/** The result, marked for piscina to transfer its large buffers (as it is when it holds none). */
export function movedResult<T extends object>(result: T): T {
  const buffers = transferableBuffers(result);
  if (buffers.length === 0) return result;
  const transferable = {
    get [transferableSymbol](): object {
      return buffers;
    },
    get [valueSymbol](): object {
      return result;
    },
  };
  return Piscina.move(transferable) as unknown as T;
}
