import { Session } from 'node:inspector/promises';

interface SamplingNode {
  selfSize: number;
  callFrame: { functionName: string; url: string };
  children: SamplingNode[];
}

/**
 * Bytes the main thread allocated while `work` ran, garbage included: V8's sampling heap profiler
 * (one sample every `samplingIntervalBytes` on average) keeping the samples of objects that minor and
 * major GCs already collected. An estimate (Poisson sampling), close over many MB. Also the bytes by
 * function whose name matches `attribute` (self sizes), to tell where they came from.
 */
export async function allocatedBytesDuring<T>(
  work: () => Promise<T>,
  options: { samplingIntervalBytes?: number } = {},
): Promise<{ result: T; bytes: number; byFunction: Map<string, number> }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: options.samplingIntervalBytes ?? 8192,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    const stop = async () => ((await session.post('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } }).profile;
    let result: T;
    try {
      result = await work();
    } catch (err) {
      await stop();
      throw err;
    }
    const profile = await stop();
    let bytes = 0;
    const byFunction = new Map<string, number>();
    const walk = (node: SamplingNode): void => {
      bytes += node.selfSize;
      const name = node.callFrame.functionName || '(anonymous)';
      byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
      for (const child of node.children) walk(child);
    };
    walk(profile.head);
    return { result, bytes, byFunction };
  } finally {
    session.disconnect();
  }
}
