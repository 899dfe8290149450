import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { loadSettings } from '../../src/lib/config/settings';
import { MlflowApiError, UpstreamError } from '../../src/lib/errors';
import { azureDatabricksScope, isAzureDatabricksHost } from '../../src/lib/tracking/databricksAuth';
import { MlflowTracker } from '../../src/lib/tracking/mlflowTracker';
import { HttpRecorder } from '../support/httpRecorder';

/**
 * Entra ID (managed identity) auth of the MLflow adapter, on the local HTTP recorder with a fake
 * credential: the bearer header, the token cache and its refresh, and the token path untouched.
 * The default credential is mocked so no test reaches IMDS or `az`.
 */
const defaultCredentialToken = 'default-credential-token';
const mockDefaultCredential = jest.fn();
jest.mock('../../src/lib/azure/credential', () => ({
  defaultAzureCredential: (): unknown => mockDefaultCredential(),
}));

/** A credential that hands out tok-1, tok-2, … each valid for `lifetimeInMs` from Date.now(). */
class FakeCredential implements TokenCredential {
  readonly calls: Array<{ scopes: string[] }> = [];
  constructor(
    private readonly lifetimeInMs = 60 * 60_000,
    private readonly fail?: Error,
  ) {}
  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken | null> {
    this.calls.push({ scopes: [scopes].flat() });
    if (this.fail) throw this.fail;
    return { token: `tok-${this.calls.length}`, expiresOnTimestamp: Date.now() + this.lifetimeInMs };
  }
}

const recorders: HttpRecorder[] = [];
afterEach(() => {
  jest.restoreAllMocks();
  mockDefaultCredential.mockReset();
});
afterAll(async () => {
  await Promise.all(recorders.map((r) => r.close()));
});

async function recorder(status = 200): Promise<HttpRecorder> {
  const r = await HttpRecorder.start(() =>
    status === 200 ? { status, body: {} } : { status, body: { error_code: 'PERMISSION_DENIED', message: 'no access' } },
  );
  recorders.push(r);
  return r;
}

const quick = { initialRetryDelayInMs: 1, maxRetryDelayInMs: 5 };

describe('MlflowTracker with an Entra ID credential', () => {
  it('sends the credential token as Authorization: Bearer, for the Azure Databricks scope, fetched once for many calls', async () => {
    const server = await recorder();
    const credential = new FakeCredential();
    const tracker = MlflowTracker.fromOptions({ trackingUri: server.url, credential, ...quick });
    expect(tracker.authMode).toBe('entra');
    await tracker.setAlias('policy', 'production', '1');
    await tracker.setAlias('policy', 'champion', '1');
    await Promise.all([tracker.deleteAlias('policy', 'champion'), tracker.setAlias('other', 'a', '1')]);
    expect(server.requests).toHaveLength(4);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(Array(4).fill('Bearer tok-1'));
    expect(credential.calls).toEqual([{ scopes: ['2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default'] }]);
    expect(azureDatabricksScope).toBe('2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default');
    expect(mockDefaultCredential).not.toHaveBeenCalled();
  });

  it('fetches a new token once the cached one has expired', async () => {
    const server = await recorder();
    const credential = new FakeCredential(60 * 60_000);
    const tracker = MlflowTracker.fromOptions({ trackingUri: server.url, credential, ...quick });
    const start = Date.now();
    await tracker.setAlias('m', 'a', '1');
    jest.spyOn(Date, 'now').mockReturnValue(start + 61 * 60_000); // past expiresOnTimestamp
    await tracker.setAlias('m', 'a', '1');
    await tracker.setAlias('m', 'a', '1');
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2', 'Bearer tok-2']);
    expect(credential.calls).toHaveLength(2);
  });

  it('refreshes shortly before expiry without failing the call in hand', async () => {
    const server = await recorder();
    const credential = new FakeCredential(60 * 60_000);
    const tracker = MlflowTracker.fromOptions({ trackingUri: server.url, credential, ...quick });
    const start = Date.now();
    await tracker.setAlias('m', 'a', '1');
    // One minute before expiry: inside the refresh window, the still-valid token is used while a new one is fetched.
    jest.spyOn(Date, 'now').mockReturnValue(start + 59 * 60_000);
    await tracker.setAlias('m', 'a', '1');
    await tracker.setAlias('m', 'a', '1');
    expect(credential.calls).toHaveLength(2);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('says what to do when the credential cannot give a token, without calling MLflow', async () => {
    const server = await recorder();
    const credential = new FakeCredential(60_000, new Error('ManagedIdentityCredential: no identity endpoint'));
    const tracker = MlflowTracker.fromOptions({ trackingUri: server.url, credential, ...quick });
    const err = await tracker.getRun('r1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as Error).message).toMatch(
      /Entra ID token .*scope 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d\/\.default.*no identity endpoint.*MLFLOW_TRACKING_TOKEN/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('points at the workspace service principal step when Databricks refuses the identity', async () => {
    const server = await recorder(403);
    const tracker = MlflowTracker.fromOptions({ trackingUri: server.url, credential: new FakeCredential(), ...quick });
    const err = await tracker.setAlias('m', 'a', '1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowApiError);
    expect((err as MlflowApiError).status).toBe(403);
    expect((err as Error).message).toMatch(/no access \(Entra ID token: the identity must be added to the Databricks workspace/);
    expect(server.requests).toHaveLength(1); // 403 is not retried
  });
});

describe('MlflowTracker with a token (MLFLOW_TRACKING_TOKEN)', () => {
  it('sends the token and never consults a credential, even one that was passed', async () => {
    const server = await recorder();
    const credential = new FakeCredential();
    const tracker = MlflowTracker.fromOptions({ trackingUri: server.url, token: 'pat-123', credential, ...quick });
    expect(tracker.authMode).toBe('token');
    await tracker.setAlias('m', 'a', '1');
    expect(server.requests[0]?.headers.authorization).toBe('Bearer pat-123');
    expect(credential.calls).toHaveLength(0);
  });

  it('fromSettings with MLFLOW_TRACKING_TOKEN on an Azure Databricks host constructs no credential', async () => {
    const seen: Array<string | null> = [];
    jest.spyOn(globalThis, 'fetch').mockImplementation(async (_url, init) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      return new Response('{}', { status: 200 });
    });
    const settings = loadSettings({
      DEMAND_TRACKER: 'mlflow',
      MLFLOW_TRACKING_URI: 'https://adb-1234567890.7.azuredatabricks.net',
      MLFLOW_TRACKING_TOKEN: 'pat-xyz',
    });
    const tracker = MlflowTracker.fromSettings(settings);
    await tracker.setAlias('m', 'a', '1');
    expect(seen).toEqual(['Bearer pat-xyz']);
    expect(mockDefaultCredential).not.toHaveBeenCalled();
  });

  it('fromSettings without a token on an Azure Databricks host uses the default (managed identity) credential', async () => {
    const seen: Array<string | null> = [];
    jest.spyOn(globalThis, 'fetch').mockImplementation(async (_url, init) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      return new Response('{}', { status: 200 });
    });
    const credential: TokenCredential = {
      getToken: async () => ({ token: defaultCredentialToken, expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    mockDefaultCredential.mockReturnValue(credential);
    // In Azure the app setting is '' when no token secret was given: that counts as no token.
    const settings = loadSettings({
      DEMAND_TRACKER: 'mlflow',
      MLFLOW_TRACKING_URI: 'https://adb-1234567890.7.azuredatabricks.net',
      MLFLOW_TRACKING_TOKEN: '',
    });
    const tracker = MlflowTracker.fromSettings(settings);
    expect(tracker.authMode).toBe('entra');
    expect(mockDefaultCredential).not.toHaveBeenCalled(); // built on first use, not at construction
    await tracker.setAlias('m', 'a', '1');
    await tracker.setAlias('m', 'a', '1');
    expect(seen).toEqual([`Bearer ${defaultCredentialToken}`, `Bearer ${defaultCredentialToken}`]);
    expect(mockDefaultCredential).toHaveBeenCalledTimes(1);
  });
});

describe('MlflowTracker against a plain MLflow server (no token, no credential, not Azure Databricks)', () => {
  it('sends no Authorization header and constructs no credential', async () => {
    const server = await recorder();
    const tracker = MlflowTracker.fromOptions({ trackingUri: server.url, ...quick });
    expect(tracker.authMode).toBe('none');
    await tracker.setAlias('m', 'a', '1');
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(mockDefaultCredential).not.toHaveBeenCalled();
  });

  it('recognises Azure Databricks workspace hosts only', () => {
    expect(isAzureDatabricksHost('https://adb-1234567890123456.7.azuredatabricks.net')).toBe(true);
    expect(isAzureDatabricksHost('https://ADB-1.2.AzureDatabricks.net/')).toBe(true);
    expect(isAzureDatabricksHost('http://127.0.0.1:5000')).toBe(false);
    expect(isAzureDatabricksHost('https://azuredatabricks.net.evil.example')).toBe(false);
    expect(isAzureDatabricksHost('not a url')).toBe(false);
  });
});
