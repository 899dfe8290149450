import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Test harness for Azurite, the Azure Storage emulator (npm `azurite`, a dev dependency).
 * Each call starts its own Azurite child process on 127.0.0.1 with OS-assigned ports (port 0, read
 * back from its "successfully listening at" lines), in-memory persistence and telemetry off, so test
 * files can run in parallel and leave nothing behind. A child process (not in-process) keeps
 * Azurite's globals, loggers and signal handlers out of the Jest worker.
 *
 * Usage:
 *   let azurite: Azurite;
 *   beforeAll(async () => { azurite = await startAzurite(); });
 *   afterAll(async () => { await azurite?.stop(); });
 *   (guard the suite with `azuriteAvailable ? describe : describe.skip`)
 */

/** The emulator's fixed, publicly documented development account. Tests only; never in src/. */
export const azuriteAccountName = 'devstoreaccount1';
export const azuriteAccountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const repoRoot = path.resolve(__dirname, '../..');
const azuriteScript = path.join(repoRoot, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');

/** True when the azurite package is installed, so integration suites can skip clearly otherwise. */
export const azuriteAvailable: boolean = existsSync(azuriteScript);

export interface Azurite {
  /** e.g. http://127.0.0.1:41234/devstoreaccount1 */
  blobUrl: string;
  /** e.g. http://127.0.0.1:41236/devstoreaccount1 */
  tableUrl: string;
  /** Shared-key connection string naming the blob, queue and table endpoints. */
  connectionString: string;
  accountName: string;
  accountKey: string;
  stop(): Promise<void>;
}

export interface StartAzuriteOptions {
  /** Generous by default: 2 shared cores can make Node start slowly. */
  startupTimeoutInMs?: number;
  /** Cap on Azurite's in-memory extent store (MB). */
  extentMemoryLimitInMb?: number;
}

const listeningLine = /Azurite (Blob|Queue|Table) service is successfully listening at (https?:\/\/[^\s]+)/g;

export async function startAzurite(options: StartAzuriteOptions = {}): Promise<Azurite> {
  if (!azuriteAvailable) throw new Error(`Azurite is not installed (looked for ${azuriteScript})`);
  const startupTimeoutInMs = options.startupTimeoutInMs ?? 45_000;
  // With --inMemoryPersistence Azurite refuses --location, so it runs in an empty temp cwd instead
  // (it may still create small files there); the folder is removed on stop().
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'azurite-'));
  const args = [
    azuriteScript,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    '0',
    '--queueHost',
    '127.0.0.1',
    '--queuePort',
    '0',
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    '0',
    '--inMemoryPersistence',
    '--extentMemoryLimit',
    String(options.extentMemoryLimitInMb ?? 512),
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    '--silent',
  ];
  const child = spawn(process.execPath, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  // If the test process dies without stop(), do not leave an orphan emulator behind.
  const killOnExit = (): void => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let output = '';
  const endpoints = new Map<string, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`Azurite did not start within ${startupTimeoutInMs} ms. Output:\n${output}`));
      }, startupTimeoutInMs);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        for (const match of output.matchAll(listeningLine)) {
          if (match[1] && match[2]) endpoints.set(match[1], match[2]);
        }
        if (endpoints.has('Blob') && endpoints.has('Table')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`Azurite exited during startup (code ${code}, signal ${signal}). Output:\n${output}`));
      });
    });
  } catch (err) {
    killOnExit();
    process.removeListener('exit', killOnExit);
    await fs.rm(workDir, { recursive: true, force: true });
    throw err;
  }
  // Keep draining output so a chatty child never blocks on a full pipe, and let the test process
  // exit even if a failing test never reached stop() (the 'exit' hook above still kills the child).
  child.stdout?.resume();
  child.stderr?.resume();
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();

  const blobUrl = `${endpoints.get('Blob')}/${azuriteAccountName}`;
  const tableUrl = `${endpoints.get('Table')}/${azuriteAccountName}`;
  const queueUrl = endpoints.has('Queue') ? `${endpoints.get('Queue')}/${azuriteAccountName}` : undefined;
  const connectionString =
    [
      'DefaultEndpointsProtocol=http',
      `AccountName=${azuriteAccountName}`,
      `AccountKey=${azuriteAccountKey}`,
      `BlobEndpoint=${blobUrl}`,
      ...(queueUrl ? [`QueueEndpoint=${queueUrl}`] : []),
      `TableEndpoint=${tableUrl}`,
    ].join(';') + ';';

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
      await fs.rm(workDir, { recursive: true, force: true });
    })();
    return stopped;
  };
  return { blobUrl, tableUrl, connectionString, accountName: azuriteAccountName, accountKey: azuriteAccountKey, stop };
}

/** SIGTERM (Azurite closes its servers), then SIGKILL if it lingers. */
async function stopChild(child: ChildProcess, graceInMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceInMs);
  });
  const outcome = await Promise.race([exited.then(() => 'exited' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}
