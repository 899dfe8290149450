import type { DeltaSchema } from './types';

/** A lake table the pipeline owns: where it lives, its schema and partitioning. */
export interface LakeTableDef {
  name: string;
  path: string;
  schema: DeltaSchema;
  partitionBy: string[];
  description: string;
}
