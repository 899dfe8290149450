import * as path from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
import { DataLakeServiceClient, type DataLakeFileSystemClient } from '@azure/storage-file-datalake';
import { defaultAzureCredential } from '../azure/credential';
import { isAlreadyExists, isNotFound, isStorageCode, toLakeError } from '../azure/storageErrors';
import { LakeConflictError, LakeLockLostError, LakeLockedError, LakeNotFoundError, ValidationError } from '../errors';
import { isEmulatorHost, parseAzureLakeUrl } from './azureLakeUrl';
import type { LakeEntry, LakeListOptions, LakeLock, LakeLockHolder, LakeLockOptions, LakeOperationOptions, LakeStore } from './lakeStore';

/**
 * How rename and list are done:
 * - 'hierarchical' (ADLS Gen2, the default): DFS API. Rename is one server-side, atomic, no-overwrite
 *   Path - Create with x-ms-rename-source and If-None-Match: *; listing is Path - List.
 * - 'flat' (plain Blob accounts and Azurite, which has no DFS endpoint): Blob API only. Rename is
 *   read + put-if-absent + delete: it never overwrites, but it is NOT atomic (a crash in between
 *   leaves both copies; a reader may briefly see both).
 */
export type AzureLakeNamespace = 'hierarchical' | 'flat';

export interface AzureDataLakeOptions {
  /** Defaults to DefaultAzureCredential (managed identity in Azure). Ignored when clients are given. */
  credential?: TokenCredential;
  blobServiceClient?: BlobServiceClient;
  dataLakeServiceClient?: DataLakeServiceClient;
  namespace?: AzureLakeNamespace;
  /** Objects up to this size go up in one Put Blob; larger ones as blocks + one Put Block List. Both are atomic. */
  singleUploadMaxBytes?: number;
  /** Block size for large uploads. */
  blockSizeInBytes?: number;
}

const defaultSingleUploadMaxBytes = 64 * 1024 * 1024;
const defaultBlockSizeInBytes = 8 * 1024 * 1024;
/** How often a broken download stream is resumed from where it stopped. */
const streamResumeRetries = 5;

/** DFS marks directories in the Blob view with this metadata flag; they are not lake objects. */
function isDirectoryMarker(metadata: Record<string, string> | undefined): boolean {
  return metadata?.['hdi_isfolder'] === 'true';
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/**
 * The lake on Azure Storage (ADLS Gen2 or Blob). Objects are read and written with the Blob API
 * (it works on ADLS Gen2 accounts and on Azurite, and has put-if-absent); rename and listing use
 * the DFS API where the account has a hierarchical namespace.
 */
export class AzureDataLakeStore implements LakeStore {
  readonly location: string;
  readonly namespace: AzureLakeNamespace;
  private readonly container: ContainerClient;
  private readonly fileSystem: DataLakeFileSystemClient;
  private readonly fileSystemName: string;
  private readonly rootPrefix: string;
  private readonly singleUploadMaxBytes: number;
  private readonly blockSizeInBytes: number;
  private containerReady = false;

  private constructor(args: {
    location: string;
    blobs: BlobServiceClient;
    dataLake: DataLakeServiceClient;
    fileSystem: string;
    rootPrefix: string;
    namespace: AzureLakeNamespace;
    options: AzureDataLakeOptions;
  }) {
    this.location = args.location;
    this.namespace = args.namespace;
    this.container = args.blobs.getContainerClient(args.fileSystem);
    this.fileSystem = args.dataLake.getFileSystemClient(args.fileSystem);
    this.fileSystemName = args.fileSystem;
    this.rootPrefix = args.rootPrefix.replace(/^\/+|\/+$/g, '');
    this.singleUploadMaxBytes = args.options.singleUploadMaxBytes ?? defaultSingleUploadMaxBytes;
    this.blockSizeInBytes = args.options.blockSizeInBytes ?? defaultBlockSizeInBytes;
  }

  /**
   * `url`: https://<account>.dfs.core.windows.net/<filesystem>[/<root folder>] or the abfss:// form
   * (ADLS Gen2: namespace 'hierarchical'), https://<account>.blob.core.windows.net/<container>[/...]
   * (no HNS: 'flat'), or an Azurite http://127.0.0.1:port/<account>/<container> URL ('flat').
   * `options.namespace` overrides. Clients passed in options are used as they are (tests, custom
   * pipelines); otherwise both are built on the credential.
   */
  static fromUrl(url: string, options: AzureDataLakeOptions = {}): AzureDataLakeStore {
    const address = parseAzureLakeUrl(url);
    const needsCredential = !options.blobServiceClient || !options.dataLakeServiceClient;
    const credential = needsCredential ? (options.credential ?? defaultAzureCredential()) : undefined;
    const blobs = options.blobServiceClient ?? new BlobServiceClient(address.blobAccountUrl, credential);
    const dataLake = options.dataLakeServiceClient ?? new DataLakeServiceClient(address.dfsAccountUrl, credential);
    return new AzureDataLakeStore({
      location: url,
      blobs,
      dataLake,
      fileSystem: address.fileSystem,
      rootPrefix: address.rootPrefix,
      namespace: options.namespace ?? address.namespace,
      options,
    });
  }

  /**
   * For Azurite and development accounts only (in Azure use fromUrl with managed identity).
   * An emulator endpoint defaults to the 'flat' namespace, since Azurite has no DFS endpoint.
   */
  static fromConnectionString(
    connectionString: string,
    fileSystem: string,
    options: Pick<AzureDataLakeOptions, 'namespace' | 'singleUploadMaxBytes' | 'blockSizeInBytes'> & { rootPrefix?: string } = {},
  ): AzureDataLakeStore {
    if (!/^[a-z0-9](?!.*--)[-a-z0-9]{1,61}[a-z0-9]$/.test(fileSystem)) {
      throw new ValidationError('fileSystem', `File system name must be 3-63 lowercase letters, digits or single dashes: "${fileSystem}"`);
    }
    const blobs = BlobServiceClient.fromConnectionString(connectionString);
    const dataLake = DataLakeServiceClient.fromConnectionString(connectionString);
    const emulator = isEmulatorHost(new URL(blobs.url).hostname);
    return new AzureDataLakeStore({
      location: `${blobs.url.replace(/\/+$/, '')}/${fileSystem}${options.rootPrefix ? `/${options.rootPrefix}` : ''}`,
      blobs,
      dataLake,
      fileSystem,
      rootPrefix: options.rootPrefix ?? '',
      namespace: options.namespace ?? (emulator ? 'flat' : 'hierarchical'),
      options,
    });
  }

  /** Lake path → object name inside the file system. */
  private objectName(p: string, field = 'path'): string {
    const normalized = path.posix.normalize(p.replace(/\\/g, '/'));
    if (normalized === '' || normalized === '.' || normalized.endsWith('/')) {
      throw new ValidationError(field, `Lake ${field} must name an object, not a folder: "${p}"`);
    }
    if (normalized === '..' || normalized.startsWith('../') || path.posix.isAbsolute(normalized)) {
      throw new ValidationError(field, `Lake ${field} must stay inside the lake root: "${p}"`);
    }
    return this.rootPrefix ? `${this.rootPrefix}/${normalized}` : normalized;
  }

  /** Lake folder → object-name prefix ('' for the lake root), without a trailing slash. */
  private folderName(prefix: string): string {
    const normalized = path.posix.normalize(prefix.replace(/\\/g, '/') || '.').replace(/\/+$/, '');
    if (normalized === '..' || normalized.startsWith('../') || path.posix.isAbsolute(normalized)) {
      throw new ValidationError('prefix', `Lake prefix must stay inside the lake root: "${prefix}"`);
    }
    return [this.rootPrefix, normalized === '.' ? '' : normalized].filter((s) => s.length > 0).join('/');
  }

  private lakePathOf(objectName: string): string {
    return this.rootPrefix ? objectName.slice(this.rootPrefix.length + 1) : objectName;
  }

  private blob(p: string): BlockBlobClient {
    return this.container.getBlockBlobClient(this.objectName(p));
  }

  async read(p: string, options?: LakeOperationOptions): Promise<Buffer> {
    return readAll(await this.readStream(p, options));
  }

  async readStream(p: string, options?: LakeOperationOptions): Promise<NodeJS.ReadableStream> {
    const blob = this.blob(p);
    try {
      const response = await blob.download(0, undefined, {
        ...(options?.abortSignal ? { abortSignal: options.abortSignal } : {}),
        maxRetryRequests: streamResumeRetries,
      });
      if (isDirectoryMarker(response.metadata)) throw new LakeNotFoundError(p);
      if (!response.readableStreamBody) throw new Error(`Download of ${p} returned no body`);
      return response.readableStreamBody;
    } catch (err) {
      throw toLakeError(err, 'read', p);
    }
  }

  async exists(p: string, options?: LakeOperationOptions): Promise<boolean> {
    try {
      const props = await this.blob(p).getProperties(options?.abortSignal ? { abortSignal: options.abortSignal } : {});
      return !isDirectoryMarker(props.metadata);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw toLakeError(err, 'read', p);
    }
  }

  /** Runs a write; if the file system (container) is missing, creates it once and retries. */
  private async withContainer<T>(write: () => Promise<T>, options?: LakeOperationOptions): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (this.containerReady || !isStorageCode(err, 'ContainerNotFound', 'FilesystemNotFound')) throw err;
      await this.container.createIfNotExists(options?.abortSignal ? { abortSignal: options.abortSignal } : {});
      this.containerReady = true;
      return write();
    }
  }

  private upload(p: string, data: Uint8Array, ifAbsent: boolean, options?: LakeOperationOptions): Promise<unknown> {
    const blob = this.blob(p);
    return this.withContainer(
      () =>
        // Up to singleUploadMaxBytes: one Put Blob (atomic). Above: Put Block × n then one Put Block
        // List, which is the atomic commit; staged blocks stay invisible until then.
        blob.uploadData(toBuffer(data), {
          maxSingleShotSize: this.singleUploadMaxBytes,
          blockSize: this.blockSizeInBytes,
          concurrency: 4,
          ...(ifAbsent ? { conditions: { ifNoneMatch: '*' } } : {}),
          ...(options?.abortSignal ? { abortSignal: options.abortSignal } : {}),
        }),
      options,
    );
  }

  async putIfAbsent(p: string, data: Uint8Array, options?: LakeOperationOptions): Promise<boolean> {
    try {
      await this.upload(p, data, true, options);
      return true;
    } catch (err) {
      // 409 BlobAlreadyExists / 412 ConditionNotMet: someone else's object is there; nothing was written.
      if (isAlreadyExists(err)) return false;
      throw toLakeError(err, 'write', p);
    }
  }

  async put(p: string, data: Uint8Array, options?: LakeOperationOptions): Promise<void> {
    try {
      await this.upload(p, data, false, options);
    } catch (err) {
      throw toLakeError(err, 'write', p);
    }
  }

  async delete(p: string, options?: LakeOperationOptions): Promise<void> {
    try {
      await this.blob(p).deleteIfExists(options?.abortSignal ? { abortSignal: options.abortSignal } : {});
    } catch (err) {
      if (isNotFound(err)) return;
      throw toLakeError(err, 'delete', p);
    }
  }

  list(prefix: string, options?: LakeListOptions): AsyncIterable<LakeEntry> {
    const folder = this.folderName(prefix);
    const recursive = options?.recursive ?? true;
    return this.namespace === 'hierarchical'
      ? this.listWithDfs(folder, recursive, options?.abortSignal)
      : this.listWithBlobs(folder, recursive, options?.abortSignal);
  }

  private async *listWithDfs(folder: string, recursive: boolean, abortSignal?: AbortSignal): AsyncGenerator<LakeEntry> {
    // Path - List pages with the x-ms-continuation header; the SDK's iterator follows it.
    const paths = this.fileSystem.listPaths({
      recursive,
      ...(folder ? { path: folder } : {}),
      ...(abortSignal ? { abortSignal } : {}),
    });
    try {
      for await (const item of paths) {
        if (item.isDirectory || !item.name) continue;
        yield {
          path: this.lakePathOf(item.name),
          sizeInBytes: item.contentLength ?? 0,
          lastModified: item.lastModified ?? new Date(0),
        };
      }
    } catch (err) {
      // Listing a folder that does not exist answers 404 PathNotFound: an empty listing.
      if (isNotFound(err)) return;
      throw toLakeError(err, 'list', folder);
    }
  }

  private async *listWithBlobs(folder: string, recursive: boolean, abortSignal?: AbortSignal): AsyncGenerator<LakeEntry> {
    const blobPrefix = folder ? `${folder}/` : '';
    const common = { includeMetadata: true, ...(blobPrefix ? { prefix: blobPrefix } : {}), ...(abortSignal ? { abortSignal } : {}) };
    try {
      const items = recursive ? this.container.listBlobsFlat(common) : this.container.listBlobsByHierarchy('/', common);
      for await (const item of items) {
        if ('kind' in item && item.kind === 'prefix') continue;
        const blob = item as {
          name: string;
          metadata?: Record<string, string>;
          properties: { contentLength?: number; lastModified: Date };
        };
        if (isDirectoryMarker(blob.metadata)) continue;
        yield {
          path: this.lakePathOf(blob.name),
          sizeInBytes: blob.properties.contentLength ?? 0,
          lastModified: blob.properties.lastModified,
        };
      }
    } catch (err) {
      if (isStorageCode(err, 'ContainerNotFound')) return;
      throw toLakeError(err, 'list', folder);
    }
  }

  async rename(from: string, to: string, options?: LakeOperationOptions): Promise<void> {
    const sourceName = this.objectName(from, 'from');
    const target = this.objectName(to, 'to');
    if (this.namespace === 'flat') return this.renameWithBlobs(from, to, options);
    const source = this.fileSystem.getFileClient(sourceName);
    // move() puts the destination into the URL path as given: encode each segment ('?' would
    // otherwise start a query string).
    const encodedTarget = target.split('/').map(encodeURIComponent).join('/');
    // The destination file system is passed explicitly: the SDK would otherwise re-derive it from
    // the URL, which goes wrong for path-style (IP/localhost) endpoints.
    const move = (): Promise<unknown> =>
      source.move(this.fileSystemName, encodedTarget, {
        destinationConditions: { ifNoneMatch: '*' },
        ...(options?.abortSignal ? { abortSignal: options.abortSignal } : {}),
      });
    try {
      await move();
    } catch (err) {
      if (!isStorageCode(err, 'RenameDestinationParentPathNotFound')) throw toLakeError(err, 'rename', from, to);
      // Unlike a write, a rename does not create the destination's parent folders.
      const parent = path.posix.dirname(target);
      try {
        await this.fileSystem
          .getDirectoryClient(parent)
          .createIfNotExists(options?.abortSignal ? { abortSignal: options.abortSignal } : {});
        await move();
      } catch (retryErr) {
        throw toLakeError(retryErr, 'rename', from, to);
      }
    }
  }

  /** Flat-namespace fallback: never overwrites `to`, but not atomic (see AzureLakeNamespace). */
  private async renameWithBlobs(from: string, to: string, options?: LakeOperationOptions): Promise<void> {
    const source = this.blob(from);
    const signal = options?.abortSignal ? { abortSignal: options.abortSignal } : {};
    let etag: string | undefined;
    let body: Buffer;
    try {
      const response = await source.download(0, undefined, { ...signal, maxRetryRequests: streamResumeRetries });
      if (isDirectoryMarker(response.metadata) || !response.readableStreamBody) throw new LakeNotFoundError(from);
      etag = response.etag;
      body = await readAll(response.readableStreamBody);
    } catch (err) {
      throw toLakeError(err, 'rename', from, to);
    }
    if (!(await this.putIfAbsent(to, body, options))) throw new LakeConflictError(to);
    try {
      // Only delete the version that was copied; if the source was rewritten meanwhile, keep it.
      await source.deleteIfExists({ ...signal, ...(etag ? { conditions: { ifMatch: etag } } : {}) });
    } catch (err) {
      if (!isStorageCode(err, 'ConditionNotMet')) throw toLakeError(err, 'delete', from);
    }
  }

  /**
   * The writer lock as a blob lease: Azure expires a lease its holder stopped renewing (15-60 s),
   * so a dead holder releases it by itself. The holder is kept in the blob's metadata (set under
   * the lease) so a refused run can name it.
   */
  async tryLock(p: string, options: LakeLockOptions): Promise<LakeLock> {
    const blob = this.blob(p);
    const ops = options.abortSignal ? { abortSignal: options.abortSignal } : {};
    const seconds = Math.max(15, Math.min(60, Math.round(options.durationInMs / 1000)));
    await this.putIfAbsent(p, Buffer.from('writer lock (held under a blob lease; holder in metadata)\n'), ops);
    const leases = blob.getBlobLeaseClient();
    try {
      await leases.acquireLease(seconds, ops);
    } catch (err) {
      if (!isStorageCode(err, 'LeaseAlreadyPresent') && (err as { statusCode?: number }).statusCode !== 409)
        throw toLakeError(err, 'write', p);
      const metadata =
        (await blob.getProperties(ops).catch((): { metadata?: Record<string, string> } => ({ metadata: {} }))).metadata ?? {};
      const held = metadata['runid']
        ? {
            runId: metadata['runid'] ?? '',
            activity: metadata['activity'] ?? '',
            owner: metadata['owner'] ?? '',
            acquiredAt: metadata['acquiredat'] ?? '',
            expiresAt: metadata['expiresat'] ?? '',
          }
        : undefined;
      throw new LakeLockedError(p, held);
    }
    let holder: LakeLockHolder = { ...options.holder, expiresAt: new Date(Date.now() + seconds * 1000).toISOString() };
    const conditions = { conditions: { leaseId: leases.leaseId } };
    const stamp = (h: LakeLockHolder) =>
      blob.setMetadata(
        { runid: h.runId, activity: h.activity, owner: h.owner, acquiredat: h.acquiredAt, expiresat: h.expiresAt },
        { ...ops, ...conditions },
      );
    await stamp(holder);
    return {
      get holder() {
        return holder;
      },
      renew: async () => {
        try {
          await leases.renewLease(ops);
        } catch (err) {
          throw new LakeLockLostError(p, `Lost the lake lock ${p}: the blob lease could not be renewed (${(err as Error).message})`);
        }
        holder = { ...holder, expiresAt: new Date(Date.now() + seconds * 1000).toISOString() };
        await stamp(holder).catch(() => undefined);
      },
      release: async () => {
        await leases.releaseLease(ops).catch(() => undefined);
      },
    };
  }
}
