/** A Bronze batch: one data part and its manifest, as stages hand it on (a reference, never rows). */
export interface BronzeBatchRef {
  /** Lake path of the data part, e.g. bronze/orders/ingest_date=…/run_id=…/part-00000.ndjson.gz */
  path: string;
  /** Lake path of its manifest (…/part-00000.manifest.json). */
  manifestPath: string;
  records: number;
}
