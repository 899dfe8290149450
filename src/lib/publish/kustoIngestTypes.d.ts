/**
 * azure-kusto-ingest declares its types only under package.json "exports", which this project's
 * `moduleResolution: node` does not read; point the module name at the shipped declarations.
 */
declare module 'azure-kusto-ingest' {
  export * from 'azure-kusto-ingest/types/src/index';
}
