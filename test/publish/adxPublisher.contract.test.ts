/**
 * Contract tests of the ADX adapter against a local HTTP recorder standing in for the ADX engine,
 * the data-management endpoint and the Azure Queue/Blob endpoints it hands out. They pin the exact
 * requests the SDK sends (paths, headers, properties, mapping reference, tags); they are NOT tests
 * against ADX — no emulator exists, so what ADX does with these requests is not exercised here.
 */
import { gunzipSync } from 'node:zlib';
import { AdxPublisher, ingestByTag } from '../../src/lib/publish/adxPublisher';
import { HttpRecorder, type RecordedRequest, type RecorderReply } from '../support/httpRecorder';
import { createFixtureLake, fixtureRunId, type FixtureLake } from './lakeFixture';

const credential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
const account = 'devstoreaccount1';

function v1Table(columns: string[], rows: unknown[][]): object {
  return {
    Tables: [
      { TableName: 'Table_0', Columns: columns.map((c) => ({ ColumnName: c, DataType: 'String', ColumnType: 'string' })), Rows: rows },
    ],
  };
}

/** Answers like the ADX DM + engine endpoints and like Azure Storage for the resources handed out. */
function adxStandIn(baseUrl: () => string) {
  const blobs = new Map<string, Buffer[]>();
  const handler = (request: RecordedRequest): RecorderReply => {
    const url = new URL(request.url, 'http://recorder');
    if (url.pathname === '/v1/rest/auth/metadata') return { status: 404, body: 'no metadata here' };
    if (url.pathname === '/v1/rest/mgmt') {
      const csl = (request.json as { csl: string }).csl.trim();
      if (csl.startsWith('.get ingestion resources')) {
        const root = `${baseUrl()}/${account}`;
        return {
          status: 200,
          body: v1Table(
            ['ResourceTypeName', 'StorageRoot'],
            [
              ['SecuredReadyForAggregationQueue', `${root}/readyforaggregation?sig=queue-sas`],
              ['FailedIngestionsQueue', `${root}/failedingestions?sig=queue-sas`],
              ['SuccessfulIngestionsQueue', `${root}/successfulingestions?sig=queue-sas`],
              ['TempStorage', `${root}/tempstorage?sig=blob-sas`],
              ['IngestionsStatusTable', `${root}/ingestionsstatus?sig=table-sas`],
            ],
          ),
        };
      }
      if (csl === '.get kusto identity token') return { status: 200, body: v1Table(['AuthorizationContext'], [['auth-context-token']]) };
      return { status: 400, body: { error: `unexpected command ${csl}` } };
    }
    if (url.pathname.startsWith(`/${account}/tempstorage/`) && request.method === 'PUT') {
      const blob = url.pathname.slice(`/${account}/tempstorage/`.length);
      if (url.searchParams.get('comp') === 'block') blobs.set(blob, [...(blobs.get(blob) ?? []), request.body]);
      else if (url.searchParams.get('comp') !== 'blocklist') blobs.set(blob, [request.body]);
      return {
        status: 201,
        headers: { etag: '"0x1"', 'last-modified': new Date().toUTCString(), 'x-ms-request-server-encrypted': 'true' },
      };
    }
    if (url.pathname === `/${account}/readyforaggregation/messages` && request.method === 'POST') {
      const now = new Date().toUTCString();
      return {
        status: 201,
        headers: { 'content-type': 'application/xml' },
        body: `<?xml version="1.0" encoding="utf-8"?><QueueMessagesList><QueueMessage><MessageId>${request.url.length}</MessageId><InsertionTime>${now}</InsertionTime><ExpirationTime>${now}</ExpirationTime><PopReceipt>r</PopReceipt><TimeNextVisible>${now}</TimeNextVisible></QueueMessage></QueueMessagesList>`,
      };
    }
    if (url.pathname.startsWith('/v1/rest/ingest/')) return { status: 200, body: {} };
    if (url.pathname === '/v1/rest/query') {
      return { status: 200, body: v1Table(['sku', 'day', 'actual', 'point'], [['85123A', '2011-12-01T00:00:00Z', '12', '11.5']]) };
    }
    return { status: 404, body: `unexpected ${request.method} ${request.url}` };
  };
  return { handler, blobs };
}

interface QueuedMessage {
  Id: string;
  BlobPath: string;
  DatabaseName: string;
  TableName: string;
  RetainBlobOnSuccess: boolean;
  FlushImmediately: boolean;
  AdditionalProperties: Record<string, string>;
}

function queuedMessages(recorder: HttpRecorder): QueuedMessage[] {
  return recorder.requests
    .filter((r) => r.url.startsWith(`/${account}/readyforaggregation/messages`))
    .map((r) => {
      const text = /<MessageText>([^<]*)<\/MessageText>/.exec(r.body.toString('utf8'))?.[1] ?? '';
      return JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as QueuedMessage;
    });
}

describe('AdxPublisher (contract, recorded HTTP — not tested against ADX)', () => {
  let fixture: FixtureLake;
  let recorder: HttpRecorder;
  let standIn: ReturnType<typeof adxStandIn>;
  const now = () => new Date('2011-12-10T03:00:00.000Z');

  beforeAll(async () => {
    fixture = await createFixtureLake();
    standIn = adxStandIn(() => recorder.url);
    recorder = await HttpRecorder.start((r) => standIn.handler(r));
  });
  afterAll(async () => {
    await recorder.close();
    await fixture.cleanup();
  });
  beforeEach(() => {
    recorder.requests.length = 0;
    standIn.blobs.clear();
  });

  function publisher(): AdxPublisher {
    return AdxPublisher.fromOptions({
      clusterUrl: recorder.url,
      ingestUrl: recorder.url,
      database: 'demand',
      lake: fixture.services.lake,
      credential,
      now,
      historyDays: 60,
    });
  }

  it('bulk publish: asks the DM for resources, uploads each partition and queues it with mapping, ingest-by tag and ingestIfNotExists', async () => {
    const adx = publisher();
    const result = await adx.publishRun(fixtureRunId);
    await adx.close();

    // Management commands go to the DM endpoint with a bearer token and a JSON body naming the command.
    const mgmt = recorder.requests.filter((r) => r.url === '/v1/rest/mgmt');
    expect(mgmt.map((r) => (r.json as { csl: string }).csl.trim())).toEqual(['.get ingestion resources', '.get kusto identity token']);
    for (const r of mgmt) {
      expect(r.method).toBe('POST');
      expect(r.headers.authorization).toBe('Bearer test-token');
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.headers['x-ms-client-request-id']).toMatch(/^KNC\.execute;/);
      expect(r.json).toMatchObject({ db: 'NetDefaultDB' });
    }

    const messages = queuedMessages(recorder);
    // 4 run-partitioned tables (one partition each) + daily demand by month over 60 days of history.
    const demandMessages = messages.filter((m) => m.TableName === 'DailyDemand');
    // Daily demand months are tagged by content (their Delta files), not by run.
    const demandTags = demandMessages.map((m) => (JSON.parse(m.AdditionalProperties.tags!) as [string])[0]);
    expect(demandTags.map((t) => t.replace(/@[0-9a-f]{16}\|/, '@<content>|'))).toEqual([
      'ingest-by:daily_demand@<content>|DailyDemand|month=2011-09',
      'ingest-by:daily_demand@<content>|DailyDemand|month=2011-10',
      'ingest-by:daily_demand@<content>|DailyDemand|month=2011-11',
      'ingest-by:daily_demand@<content>|DailyDemand|month=2011-12',
    ]);
    expect(new Set(demandTags).size).toBe(4);
    const forecasts = messages.find((m) => m.TableName === 'Forecasts')!;
    const tag = ingestByTag(fixtureRunId, 'Forecasts', `run_id=${fixtureRunId}`);
    expect(forecasts).toMatchObject({
      DatabaseName: 'demand',
      TableName: 'Forecasts',
      RetainBlobOnSuccess: true,
      FlushImmediately: false,
      AdditionalProperties: {
        authorizationContext: 'auth-context-token',
        format: 'json',
        ingestionMappingReference: 'Forecasts_json',
        ingestionMappingType: 'Json',
        tags: JSON.stringify([`ingest-by:${tag}`]),
        ingestIfNotExists: JSON.stringify([tag]),
      },
    });
    // Runs: the run record, queued last (see the run-record test below).
    expect(new Set(messages.map((m) => m.TableName))).toEqual(
      new Set(['DailyDemand', 'Forecasts', 'ForecastAccuracy', 'DriftEvents', 'Runs']),
    );
    // InventoryActions has no rows in this lake (planInventory did not run): nothing is queued for it.
    expect(messages.filter((m) => m.TableName === 'InventoryActions')).toHaveLength(0);
    expect(result.tables.InventoryActions).toBe(0);

    // The queued BlobPath is the uploaded temp blob (with its SAS), and its content is the run's rows.
    const blobPath = new URL(forecasts.BlobPath);
    expect(blobPath.pathname.startsWith(`/${account}/tempstorage/`)).toBe(true);
    expect(blobPath.searchParams.get('sig')).toBe('blob-sas');
    const uploaded = Buffer.concat(standIn.blobs.get(blobPath.pathname.slice(`/${account}/tempstorage/`.length)) ?? []);
    const lines = gunzipSync(uploaded)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3 * 28);
    expect(result.tables.Forecasts).toBe(3 * 28);
    expect(lines[0]).toMatchObject({ run_id: fixtureRunId, published_at: '2011-12-10T03:00:00.000Z' });
    expect(Object.keys(lines[0]!)).toEqual(expect.arrayContaining(['sku', 'origin_date', 'target_date', 'q05', 'q95']));
    // Expected units travel to ADX under the name its Forecasts_json mapping reads ($.expected).
    expect(lines.every((l) => typeof l['expected'] === 'number')).toBe(true);
    expect(result.outputs).toEqual({ adx: `${recorder.url}/demand` });
  });

  it('re-publishing a run sends the same ingest-by tags (ADX skips them through ingestIfNotExists)', async () => {
    const first = publisher();
    await first.publishRun(fixtureRunId);
    await first.close();
    const tagsFirst = queuedMessages(recorder)
      .map((m) => m.AdditionalProperties.ingestIfNotExists)
      .sort();
    recorder.requests.length = 0;
    const second = publisher();
    await second.publishRun(fixtureRunId);
    await second.close();
    const tagsSecond = queuedMessages(recorder)
      .map((m) => m.AdditionalProperties.ingestIfNotExists)
      .sort();
    expect(tagsSecond).toEqual(tagsFirst);
    expect(new Set(tagsFirst).size).toBe(tagsFirst.length);
  });

  it('a later run re-sends unchanged daily demand months under the same tags, so ADX skips them', async () => {
    const tagsOf = () =>
      queuedMessages(recorder)
        .filter((m) => m.TableName === 'DailyDemand')
        .map((m) => m.AdditionalProperties.ingestIfNotExists)
        .sort();
    const first = publisher();
    await first.publishRun(fixtureRunId);
    await first.close();
    const before = tagsOf();
    recorder.requests.length = 0;
    const second = publisher();
    await second.publishRun('a-later-run');
    await second.close();
    expect(tagsOf()).toEqual(before);
  });

  it('a whole-run publish queues its run record last, once per run, with the row counts it queued; a table subset, a re-forecast of some SKUs or a single-SKU publish records none', async () => {
    const adx = publisher();
    const result = await adx.publishRun(fixtureRunId);
    const messages = queuedMessages(recorder);
    expect(messages.at(-1)!.TableName).toBe('Runs');
    const runs = messages.filter((m) => m.TableName === 'Runs');
    expect(runs).toHaveLength(1);
    const tag = ingestByTag(fixtureRunId, 'Runs', 'run');
    expect(runs[0]!.AdditionalProperties).toMatchObject({
      ingestionMappingReference: 'Runs_json',
      ingestIfNotExists: JSON.stringify([tag]),
    });
    const blob = new URL(runs[0]!.BlobPath).pathname.slice(`/${account}/tempstorage/`.length);
    const rows = gunzipSync(Buffer.concat(standIn.blobs.get(blob) ?? []))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toEqual([
      {
        run_id: fixtureRunId,
        kind: 'full',
        completed_at: '2011-12-10T03:00:00.000Z',
        forecast_rows: result.tables.Forecasts,
        accuracy_rows: result.tables.ForecastAccuracy,
        inventory_rows: 0,
        published_at: '2011-12-10T03:00:00.000Z',
      },
    ]);
    expect(result.tables.Forecasts).toBeGreaterThan(0);
    recorder.requests.length = 0;
    await adx.publishRun('drift-run', { tables: ['drift_events'] });
    await adx.publishRun(fixtureRunId, { reforecastSkus: ['22423', '85123A'] });
    await adx.publishSkus('reforecast-run', ['22423']);
    await adx.close();
    expect(queuedMessages(recorder).filter((m) => m.TableName === 'Runs')).toHaveLength(0);
  });

  it('single-SKU publish streams only that SKU to the engine with the mapping name', async () => {
    const adx = publisher();
    const result = await adx.publishSkus(fixtureRunId, ['22423']);
    await adx.close();
    const ingests = recorder.requests.filter((r) => r.url.startsWith('/v1/rest/ingest/'));
    expect(ingests.map((r) => r.url)).toEqual([
      '/v1/rest/ingest/demand/Forecasts?streamFormat=json&mappingName=Forecasts_json',
      '/v1/rest/ingest/demand/ForecastAccuracy?streamFormat=json&mappingName=ForecastAccuracy_json',
    ]);
    const forecast = ingests[0]!;
    expect(forecast.method).toBe('POST');
    expect(forecast.headers['content-encoding']).toBe('gzip');
    expect(forecast.headers['content-type']).toBe('application/octet-stream');
    expect(forecast.headers.authorization).toBe('Bearer test-token');
    expect(forecast.headers['x-ms-client-request-id']).toMatch(/^KNC\.executeStreamingIngest;/);
    const rows = gunzipSync(forecast.body)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sku: string });
    expect(rows).toHaveLength(28);
    expect(new Set(rows.map((r) => r.sku))).toEqual(new Set(['22423']));
    expect(result.tables).toEqual({ Forecasts: 28, ForecastAccuracy: 1, InventoryActions: 0 });
    // Streaming never touches the DM endpoint or storage.
    expect(recorder.requests.some((r) => r.url === '/v1/rest/mgmt' || r.url.startsWith(`/${account}/`))).toBe(false);
  });
});
