import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

let shared: TokenCredential | undefined;

/**
 * The credential Azure adapters use when none is given: DefaultAzureCredential, i.e. the Function
 * App's managed identity in Azure (a user-assigned one when AZURE_CLIENT_ID is set) and the
 * developer's `az login` locally. One instance is shared so its token cache is shared too.
 */
export function defaultAzureCredential(): TokenCredential {
  shared ??= new DefaultAzureCredential();
  return shared;
}
