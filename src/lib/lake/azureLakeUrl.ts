import { ValidationError } from '../errors';

/** Where an Azure lake lives, split into what the Blob and DFS clients each need. */
export interface AzureLakeAddress {
  /** https://<account>.blob.core.windows.net (or the emulator's http://127.0.0.1:port/<account>). */
  blobAccountUrl: string;
  /** https://<account>.dfs.core.windows.net (same as blob for the emulator, which has no DFS). */
  dfsAccountUrl: string;
  accountName: string;
  fileSystem: string;
  /** Optional folder inside the file system that is the lake root ('' for the file system root). */
  rootPrefix: string;
  /** True for emulator-style URLs (IP or localhost host, account in the first path segment). */
  emulator: boolean;
  /**
   * What the URL's form says about the account: a *.dfs.* host or abfss:// → 'hierarchical'
   * (ADLS Gen2); a *.blob.* host or an emulator → 'flat' (Blob only).
   */
  namespace: 'hierarchical' | 'flat';
}

const fileSystemPattern = /^[a-z0-9](?!.*--)[-a-z0-9]{1,61}[a-z0-9]$|^\$root$/;

/** Same rule the Storage SDKs use for path-style (emulator) URLs. */
export function isEmulatorHost(host: string): boolean {
  return /^\[.*\]$|^.*:.*:.*$/.test(host) || /^(localhost|host\.docker\.internal)$/i.test(host) || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/**
 * Parses DEMAND_LAKE_URL-style addresses:
 * - https://<account>.dfs.core.windows.net/<filesystem>[/<root folder>]   (the documented form)
 * - https://<account>.blob.core.windows.net/<container>[/<root folder>]       (an account without HNS)
 * - abfss://<filesystem>@<account>.dfs.core.windows.net[/<root folder>]    (Spark/Databricks form)
 * - http://127.0.0.1:10000/<account>/<filesystem>[/<root folder>]          (Azurite)
 */
export function parseAzureLakeUrl(url: string): AzureLakeAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new ValidationError('lakeUrl', `Lake URL is not a URL: "${url}"`, { cause: err });
  }
  const segments = decodeURIComponent(parsed.pathname)
    .split('/')
    .filter((s) => s.length > 0);
  let fileSystem: string | undefined;
  let accountName: string | undefined;
  let origin: string;
  let emulator = false;

  if (parsed.protocol === 'abfss:' || parsed.protocol === 'abfs:') {
    fileSystem = decodeURIComponent(parsed.username);
    accountName = parsed.hostname.split('.')[0];
    origin = `${parsed.protocol === 'abfss:' ? 'https' : 'http'}://${parsed.host}`;
  } else if (parsed.protocol === 'https:' || parsed.protocol === 'http:') {
    if (isEmulatorHost(parsed.hostname)) {
      emulator = true;
      accountName = segments.shift();
      origin = `${parsed.protocol}//${parsed.host}/${accountName ?? ''}`;
    } else {
      accountName = parsed.hostname.split('.')[0];
      origin = `${parsed.protocol}//${parsed.host}`;
    }
    fileSystem = segments.shift();
  } else {
    throw new ValidationError('lakeUrl', `Lake URL must be https://, abfss:// or an emulator http:// URL: "${url}"`);
  }
  if (!accountName) throw new ValidationError('lakeUrl', `Lake URL names no storage account: "${url}"`);
  if (!fileSystem || !fileSystemPattern.test(fileSystem)) {
    throw new ValidationError(
      'lakeUrl',
      `Lake URL must name a file system (3-63 lowercase letters, digits, single dashes) after the account: "${url}"`,
    );
  }
  const blobAccountUrl = emulator ? origin : origin.replace('.dfs.', '.blob.');
  const dfsAccountUrl = emulator ? origin : origin.replace('.blob.', '.dfs.');
  const namespace = emulator || /\.blob\./i.test(parsed.host) ? 'flat' : 'hierarchical';
  return { blobAccountUrl, dfsAccountUrl, accountName, fileSystem, rootPrefix: segments.join('/'), emulator, namespace };
}
