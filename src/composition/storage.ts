import * as path from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { DataLakeServiceClient } from '@azure/storage-file-datalake';
import type { PipelineSettings } from '../lib/config/settings';
import { AzureDataLakeStore } from '../lib/lake/azureDataLake';
import { FileSystemLake } from '../lib/lake/fileSystemLake';
import type { LakeStore } from '../lib/lake/lakeStore';
import { AzureEntityStore } from '../lib/tables/azureEntityStore';
import { EmbeddedEntityStore } from '../lib/tables/embeddedEntityStore';
import type { EntityStore } from '../lib/tables/entityStore';

type StorageSettings = Pick<
  PipelineSettings,
  'DEMAND_LAKE_DIR' | 'DEMAND_LAKE_URL' | 'DEMAND_STATE_DIR' | 'DEMAND_TABLES_URL' | 'DEMAND_STORAGE_CONNECTION_STRING'
>;

/** The lake's file system when only DEMAND_STORAGE_CONNECTION_STRING is set (give DEMAND_LAKE_URL to choose another). */
export const defaultLakeFileSystem = 'lake';

export interface StorageFactoryOptions {
  /** Overrides DefaultAzureCredential (managed identity) for URL-addressed Azure stores. */
  credential?: TokenCredential;
}

/**
 * Picks the lake adapter from settings:
 * - DEMAND_LAKE_URL: Azure with managed identity (or, when DEMAND_STORAGE_CONNECTION_STRING is
 *   also set, that account's key: the URL then only names the file system and root folder). A
 *   *.dfs.* / abfss:// URL uses the DFS API for atomic rename and listing; a *.blob.* or emulator
 *   URL uses the Blob API only (see AzureLakeNamespace);
 * - else DEMAND_STORAGE_CONNECTION_STRING: that account, file system "lake";
 * - else the embedded lake folder DEMAND_LAKE_DIR.
 */
export function createLakeStore(settings: StorageSettings, options: StorageFactoryOptions = {}): LakeStore {
  const connectionString = settings.DEMAND_STORAGE_CONNECTION_STRING;
  if (settings.DEMAND_LAKE_URL) {
    if (connectionString) {
      return AzureDataLakeStore.fromUrl(settings.DEMAND_LAKE_URL, {
        blobServiceClient: BlobServiceClient.fromConnectionString(connectionString),
        dataLakeServiceClient: DataLakeServiceClient.fromConnectionString(connectionString),
      });
    }
    return AzureDataLakeStore.fromUrl(settings.DEMAND_LAKE_URL, options.credential ? { credential: options.credential } : {});
  }
  if (connectionString) return AzureDataLakeStore.fromConnectionString(connectionString, defaultLakeFileSystem);
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
