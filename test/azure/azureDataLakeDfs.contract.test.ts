import { BlobServiceClient, AnonymousCredential as BlobAnonymousCredential } from '@azure/storage-blob';
import { AnonymousCredential, DataLakeServiceClient } from '@azure/storage-file-datalake';
import { LakeConflictError, LakeNotFoundError } from '../../src/lib/errors';
import { AzureDataLakeStore } from '../../src/lib/lake/azureDataLake';
import { collect } from '../../src/lib/tables/entityStore';
import { HttpRecorder, type RecordedRequest, type RecorderHandler } from '../support/httpRecorder';

/**
 * Contract tests for the DFS-only calls (rename, listing). Azurite has no DFS endpoint, so the
 * adapter talks to a local recorder standing in for https://<account>.dfs.core.windows.net and
 * the tests check the exact requests against the ADLS Gen2 REST reference:
 *
 * - Rename = "Path - Create" with a rename source
 *   (https://learn.microsoft.com/rest/api/storageservices/datalakestoragegen2/path/create):
 *   `PUT /{filesystem}/{path}?mode=legacy` with `x-ms-rename-source: /{filesystem}/{source path}`.
 *   "To fail if the destination already exists, use a conditional request with If-None-Match: "*"."
 *   (@azure/storage-file-datalake 12.29 DataLakePathClient.move sends mode=legacy and maps
 *   `destinationConditions` to If-None-Match.) Errors from the same page: 404 SourcePathNotFound,
 *   404 RenameDestinationParentPathNotFound, 409 PathAlreadyExists, 412 ConditionNotMet.
 * - Listing = "Path - List"
 *   (https://learn.microsoft.com/rest/api/storageservices/datalakestoragegen2/path/list):
 *   `GET /{filesystem}?resource=filesystem&recursive={bool}&directory={dir}&continuation={token}`;
 *   "If the number of paths to be returned exceeds this limit, a continuation token is returned in
 *   the response header x-ms-continuation"; body `{"paths":[{name, isDirectory, contentLength,
 *   lastModified, ...}]}`; a missing directory is an error (404 PathNotFound).
 * - Creating a missing parent folder = "Path - Create" `PUT /{filesystem}/{dir}?resource=directory`
 *   (createIfNotExists adds If-None-Match: *).
 */

function parse(request: RecordedRequest): { method: string; pathname: string; query: URLSearchParams } {
  const url = new URL(request.url, 'http://recorder');
  return { method: request.method, pathname: url.pathname, query: url.searchParams };
}

function storageError(status: number, code: string): { status: number; headers: Record<string, string>; body: object } {
  return {
    status,
    headers: { 'x-ms-error-code': code },
    body: { error: { code, message: `${code} (recorded)` } },
  };
}

describe('AzureDataLakeStore requests (contract, against a recorder)', () => {
  let recorder: HttpRecorder;
  let handler: RecorderHandler;

  beforeAll(async () => {
    recorder = await HttpRecorder.start((request) => handler(request));
  });
  afterAll(async () => {
    await recorder.close();
  });
  beforeEach(() => {
    recorder.requests.length = 0;
    handler = () => ({ status: 500, body: { error: 'unexpected request' } });
  });

  /** The recorder plays the account endpoint; paths are then /{filesystem}/{path} as in Azure. */
  function lake(rootPrefix = ''): AzureDataLakeStore {
    const pipelineOptions = { retryOptions: { maxTries: 1 } };
    return AzureDataLakeStore.fromUrl(`https://acct.dfs.core.windows.net/lake${rootPrefix ? `/${rootPrefix}` : ''}`, {
      namespace: 'hierarchical',
      dataLakeServiceClient: new DataLakeServiceClient(recorder.url, new AnonymousCredential(), pipelineOptions),
      blobServiceClient: new BlobServiceClient(recorder.url, new BlobAnonymousCredential(), pipelineOptions),
    });
  }

  describe('rename', () => {
    it('is one PUT Path - Create on the destination with x-ms-rename-source, mode=legacy and If-None-Match: *', async () => {
      handler = () => ({ status: 201, headers: { etag: '"0x1"' } });
      await lake().rename('landing/inventory/snap 1.csv', 'processed/inventory/snap 1.csv');

      expect(recorder.requests).toHaveLength(1);
      const request = recorder.requests[0]!;
      const { method, pathname, query } = parse(request);
      expect(method).toBe('PUT');
      expect(pathname).toBe('/lake/processed/inventory/snap%201.csv');
      expect(query.get('mode')).toBe('legacy');
      expect(query.has('resource')).toBe(false); // a rename, not a create
      expect(request.headers['x-ms-rename-source']).toBe('/lake/landing/inventory/snap%201.csv');
      expect(request.headers['if-none-match']).toBe('*');
      expect(request.headers['x-ms-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(request.headers['content-length'] ?? '0').toBe('0');
    });

    it('puts the lake root folder in front of both paths', async () => {
      handler = () => ({ status: 201 });
      await lake('tenant-a/lake').rename('a.csv', 'done/a.csv');
      const request = recorder.requests[0]!;
      expect(parse(request).pathname).toBe('/lake/tenant-a/lake/done/a.csv');
      expect(request.headers['x-ms-rename-source']).toBe('/lake/tenant-a/lake/a.csv');
    });

    it.each([
      [409, 'PathAlreadyExists'],
      [412, 'ConditionNotMet'],
    ])('maps %i %s (destination exists) to LakeConflictError naming the destination', async (status, code) => {
      handler = () => storageError(status, code);
      const error = await lake()
        .rename('a.csv', 'b.csv')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LakeConflictError);
      expect((error as LakeConflictError).path).toBe('b.csv');
      expect(recorder.requests).toHaveLength(1);
    });

    it('maps 404 SourcePathNotFound to LakeNotFoundError naming the source', async () => {
      handler = () => storageError(404, 'SourcePathNotFound');
      const error = await lake()
        .rename('missing.csv', 'b.csv')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LakeNotFoundError);
      expect((error as LakeNotFoundError).path).toBe('missing.csv');
    });

    it('on 404 RenameDestinationParentPathNotFound creates the parent folder, then renames again', async () => {
      let renames = 0;
      handler = (request) => {
        const { query } = parse(request);
        if (query.get('resource') === 'directory') return { status: 201 };
        renames += 1;
        return renames === 1 ? storageError(404, 'RenameDestinationParentPathNotFound') : { status: 201 };
      };
      await lake().rename('landing/a.csv', 'processed/2024/a.csv');

      const calls = recorder.requests.map((r) => {
        const { method, pathname, query } = parse(r);
        return `${method} ${pathname} ${query.get('resource') ?? query.get('mode')}`;
      });
      expect(calls).toEqual([
        'PUT /lake/processed/2024/a.csv legacy',
        'PUT /lake/processed/2024 directory',
        'PUT /lake/processed/2024/a.csv legacy',
      ]);
      expect(recorder.requests[1]!.headers['if-none-match']).toBe('*');
      expect(recorder.requests[2]!.headers['if-none-match']).toBe('*');
    });

    it('does not retry a conflict after creating the parent: still LakeConflictError', async () => {
      let renames = 0;
      handler = (request) => {
        if (parse(request).query.get('resource') === 'directory') return { status: 201 };
        renames += 1;
        return renames === 1 ? storageError(404, 'RenameDestinationParentPathNotFound') : storageError(409, 'PathAlreadyExists');
      };
      await expect(lake().rename('a.csv', 'x/b.csv')).rejects.toBeInstanceOf(LakeConflictError);
      expect(renames).toBe(2);
    });
  });

  describe('list', () => {
    const page1 = {
      paths: [
        { name: 'landing/inventory', isDirectory: 'true', lastModified: 'Tue, 02 Jan 2024 10:00:00 GMT', etag: '0x1', contentLength: '0' },
        { name: 'landing/inventory/a.csv', lastModified: 'Tue, 02 Jan 2024 10:00:00 GMT', etag: '0x2', contentLength: '120' },
      ],
    };
    const page2 = {
      paths: [{ name: 'landing/inventory/b.ndjson', lastModified: 'Wed, 03 Jan 2024 11:30:00 GMT', etag: '0x3', contentLength: '7' }],
    };

    it('sends Path - List and follows x-ms-continuation across pages, yielding files only', async () => {
      handler = (request) => {
        const token = parse(request).query.get('continuation');
        return token === 'page2 token/=='
          ? { status: 200, body: page2 }
          : { status: 200, headers: { 'x-ms-continuation': 'page2 token/==' }, body: page1 };
      };
      const entries = await collect(lake().list('landing'));

      expect(entries).toEqual([
        { path: 'landing/inventory/a.csv', sizeInBytes: 120, lastModified: new Date('2024-01-02T10:00:00Z') },
        { path: 'landing/inventory/b.ndjson', sizeInBytes: 7, lastModified: new Date('2024-01-03T11:30:00Z') },
      ]);
      expect(recorder.requests).toHaveLength(2);
      const [first, second] = recorder.requests.map(parse);
      for (const call of [first!, second!]) {
        expect(call.method).toBe('GET');
        expect(call.pathname).toBe('/lake');
        expect(call.query.get('resource')).toBe('filesystem');
        expect(call.query.get('recursive')).toBe('true');
        expect(call.query.get('directory')).toBe('landing');
      }
      expect(first!.query.has('continuation')).toBe(false);
      // The token comes back exactly as the service sent it (URL-encoded on the wire).
      expect(second!.query.get('continuation')).toBe('page2 token/==');
    });

    it('lists one level with recursive=false and strips the lake root folder from names', async () => {
      handler = () => ({
        status: 200,
        body: { paths: [{ name: 'root/landing/c.csv', lastModified: 'Tue, 02 Jan 2024 10:00:00 GMT', contentLength: '3' }] },
      });
      const entries = await collect(lake('root').list('landing/', { recursive: false }));
      expect(entries.map((e) => e.path)).toEqual(['landing/c.csv']);
      const call = parse(recorder.requests[0]!);
      expect(call.query.get('recursive')).toBe('false');
      expect(call.query.get('directory')).toBe('root/landing');
    });

    it('lists the whole file system without a directory parameter for the root prefix', async () => {
      handler = () => ({ status: 200, body: { paths: [] } });
      expect(await collect(lake().list(''))).toEqual([]);
      expect(parse(recorder.requests[0]!).query.has('directory')).toBe(false);
    });

    it('treats 404 PathNotFound (no such folder) as an empty listing', async () => {
      handler = () => storageError(404, 'PathNotFound');
      expect(await collect(lake().list('nothing/here'))).toEqual([]);
      expect(recorder.requests).toHaveLength(1);
    });

    it('surfaces other failures (403) unchanged', async () => {
      handler = () => storageError(403, 'AuthorizationPermissionMismatch');
      await expect(collect(lake().list('landing'))).rejects.toMatchObject({ name: 'RestError', statusCode: 403 });
    });
  });

  describe('writes (Blob API shapes; behaviour is covered on Azurite)', () => {
    // Put Blob (https://learn.microsoft.com/rest/api/storageservices/put-blob): PUT /{container}/{blob}
    // with x-ms-blob-type: BlockBlob; "If-None-Match: *" makes it create-only. Large objects: Put Block
    // (?comp=block&blockid=...) × n, then Put Block List (?comp=blocklist), the one atomic commit.
    it('putIfAbsent is one Put Blob with If-None-Match: * and answers false on 409 BlobAlreadyExists', async () => {
      handler = () => ({ status: 201, headers: { etag: '"0x1"' } });
      expect(await lake().putIfAbsent('bronze/m.json', Buffer.from('{}'))).toBe(true);
      const request = recorder.requests[0]!;
      expect(parse(request).method).toBe('PUT');
      expect(parse(request).pathname).toBe('/lake/bronze/m.json');
      expect(request.headers['x-ms-blob-type']).toBe('BlockBlob');
      expect(request.headers['if-none-match']).toBe('*');
      expect(request.body.toString()).toBe('{}');

      handler = () => storageError(409, 'BlobAlreadyExists');
      expect(await lake().putIfAbsent('bronze/m.json', Buffer.from('{}'))).toBe(false);
      handler = () => storageError(412, 'ConditionNotMet');
      expect(await lake().putIfAbsent('bronze/m.json', Buffer.from('{}'))).toBe(false);
      // A lease conflict is a failure, not "already exists".
      handler = () => storageError(409, 'LeaseIdMissing');
      await expect(lake().putIfAbsent('bronze/m.json', Buffer.from('{}'))).rejects.toMatchObject({
        statusCode: 409,
        code: 'LeaseIdMissing',
      });
    });

    it('a large put stages blocks and commits them with one Put Block List, conditions only on the commit', async () => {
      handler = () => ({ status: 201, headers: { etag: '"0x1"' } });
      const store = AzureDataLakeStore.fromUrl('https://acct.dfs.core.windows.net/lake', {
        namespace: 'hierarchical',
        singleUploadMaxBytes: 1024,
        blockSizeInBytes: 1024,
        dataLakeServiceClient: new DataLakeServiceClient(recorder.url, new AnonymousCredential()),
        blobServiceClient: new BlobServiceClient(recorder.url, new BlobAnonymousCredential(), { retryOptions: { maxTries: 1 } }),
      });
      expect(await store.putIfAbsent('gold/big.bin', Buffer.alloc(3000, 7))).toBe(true);
      const calls = recorder.requests.map(parse);
      const blocks = calls.filter((c) => c.query.get('comp') === 'block');
      const commits = calls.filter((c) => c.query.get('comp') === 'blocklist');
      expect(blocks).toHaveLength(3);
      expect(commits).toHaveLength(1);
      expect(calls[calls.length - 1]!.query.get('comp')).toBe('blocklist'); // commit last
      const commit = recorder.requests.find((r) => parse(r).query.get('comp') === 'blocklist')!;
      expect(commit.headers['if-none-match']).toBe('*');
      for (const r of recorder.requests.filter((r) => parse(r).query.get('comp') === 'block'))
        expect(r.headers['if-none-match']).toBeUndefined();
      const committedIds = [...commit.body.toString().matchAll(/<Latest>([^<]+)<\/Latest>/g)].map((m) => m[1]);
      expect(committedIds).toEqual(blocks.map((b) => b.query.get('blockid')));
    });
  });
});
