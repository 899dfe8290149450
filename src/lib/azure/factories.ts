import * as path from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { DataLakeServiceClient } from '@azure/storage-file-datalake';
import type { PipelineSettings } from '../config/settings';
import { AzureDataLakeStore } from '../lake/azureDataLake';
import { FileSystemLake } from '../lake/fileSystemLake';
import type { LakeStore } from '../lake/lakeStore';
import { AzureEntityStore } from '../tables/azureEntityStore';
import { EmbeddedEntityStore } from '../tables/embeddedEntityStore';
import type { EntityStore } from '../tables/entityStore';

type StorageSettings = Pick<
  PipelineSettings,
  | 'DEMAND_LAKE_DIR'
  | 'DEMAND_LAKE_URL'
  | 'DEMAND_LAKE_FILESYSTEM'
  | 'DEMAND_LAKE_NAMESPACE'
  | 'DEMAND_STATE_DIR'
  | 'DEMAND_TABLES_URL'
  | 'DEMAND_STORAGE_CONNECTION_STRING'
>;

export interface StorageFactoryOptions {
  /** Overrides DefaultAzureCredential (managed identity) for URL-addressed Azure stores. */
  credential?: TokenCredential;
}

/**
 * Picks the lake adapter from settings:
 * - DEMAND_LAKE_URL: ADLS Gen2 with managed identity (or, when DEMAND_STORAGE_CONNECTION_STRING is
 *   also set, that account's key: the URL then only names the file system and root folder);
 * - else DEMAND_STORAGE_CONNECTION_STRING: that account, file system DEMAND_LAKE_FILESYSTEM;
 * - else the embedded lake folder DEMAND_LAKE_DIR.
 */
export function createLakeStore(settings: StorageSettings, options: StorageFactoryOptions = {}): LakeStore {
  const namespace = settings.DEMAND_LAKE_NAMESPACE ? { namespace: settings.DEMAND_LAKE_NAMESPACE } : {};
  const connectionString = settings.DEMAND_STORAGE_CONNECTION_STRING;
  if (settings.DEMAND_LAKE_URL) {
    if (connectionString) {
      return AzureDataLakeStore.fromUrl(settings.DEMAND_LAKE_URL, {
        ...namespace,
        blobServiceClient: BlobServiceClient.fromConnectionString(connectionString),
        dataLakeServiceClient: DataLakeServiceClient.fromConnectionString(connectionString),
      });
    }
    return AzureDataLakeStore.fromUrl(settings.DEMAND_LAKE_URL, { ...namespace, ...(options.credential ? { credential: options.credential } : {}) });
  }
  if (connectionString) return AzureDataLakeStore.fromConnectionString(connectionString, settings.DEMAND_LAKE_FILESYSTEM, namespace);
  return FileSystemLake.fromDirectory(path.resolve(settings.DEMAND_LAKE_DIR));
}

/**
 * Picks the tables adapter: DEMAND_STORAGE_CONNECTION_STRING (Azurite/dev) wins, then
 * DEMAND_TABLES_URL with managed identity, else the embedded store in DEMAND_STATE_DIR.
 */
export function createEntityStore(settings: StorageSettings, options: StorageFactoryOptions = {}): EntityStore {
  if (settings.DEMAND_STORAGE_CONNECTION_STRING) return AzureEntityStore.fromConnectionString(settings.DEMAND_STORAGE_CONNECTION_STRING);
  if (settings.DEMAND_TABLES_URL) return AzureEntityStore.fromUrl(settings.DEMAND_TABLES_URL, options.credential);
  return EmbeddedEntityStore.fromDirectory(path.resolve(settings.DEMAND_STATE_DIR));
}
