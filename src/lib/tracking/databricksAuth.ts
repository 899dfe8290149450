import { getBearerTokenProvider, type TokenCredential } from '@azure/identity';

/**
 * Entra ID scope of the Azure Databricks resource: the first-party application id
 * 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, the same in every Azure Databricks workspace.
 */
export const azureDatabricksScope = '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default';

/** Returns a current access token (no "Bearer " prefix). */
export type AccessTokenProvider = () => Promise<string>;

/** True for workspace hosts of Azure Databricks (adb-<id>.<n>.azuredatabricks.net, Private Link included). */
export function isAzureDatabricksHost(uri: string): boolean {
  try {
    return new URL(uri).hostname.toLowerCase().endsWith('.azuredatabricks.net');
  } catch {
    return false;
  }
}

// One provider per credential and scope, so trackers created per activity share the cached token.
const providers = new WeakMap<TokenCredential, Map<string, AccessTokenProvider>>();

/**
 * A cached Entra ID token for `scope`: @azure/identity's bearer token provider keeps the token and
 * fetches a new one shortly before it expires (2 minutes, or at the token's refresh-after time),
 * and concurrent callers share one in-flight request.
 */
export function entraTokenProvider(credential: TokenCredential, scope: string = azureDatabricksScope): AccessTokenProvider {
  let byScope = providers.get(credential);
  if (!byScope) {
    byScope = new Map();
    providers.set(credential, byScope);
  }
  let provider = byScope.get(scope);
  if (!provider) {
    provider = getBearerTokenProvider(credential, scope);
    byScope.set(scope, provider);
  }
  return provider;
}
