import type { TokenCredential } from '@azure/identity';
import type { PipelineSettings } from '../lib/config/settings';
import type { AuthorizationProvider } from '../lib/ingest/authorizationProvider';

/**
 * The orders API's Authorization header: a managed identity (Entra ID) bearer token when
 * DEMAND_ORDERS_AUTH_SCOPE is set (the credential caches and refreshes it), else the static
 * DEMAND_ORDERS_AUTH_HEADER (a Key Vault reference in Azure), else none.
 */
export function authorizationFromSettings(settings: PipelineSettings): AuthorizationProvider | undefined {
  const scope = settings.DEMAND_ORDERS_AUTH_SCOPE;
  if (scope) {
    let credential: TokenCredential | undefined;
    return async () => {
      // Loaded lazily: runs without a scope never pay for the identity SDK.
      if (!credential) {
        const { DefaultAzureCredential } = await import('@azure/identity');
        credential = new DefaultAzureCredential();
      }
      const token = await credential.getToken(scope);
      return token ? `Bearer ${token.token}` : undefined;
    };
  }
  const header = settings.DEMAND_ORDERS_AUTH_HEADER;
  return header ? async () => header : undefined;
}
