import { ValidationError } from '../errors';
import { lakePath } from '../lake/lakeStore';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a source name or run id before it becomes a lake path segment. */
export function checkPathSegment(field: string, value: string): string {
  if (!namePattern.test(value)) {
    throw new ValidationError(
      field,
      `${field} must be 1-128 letters, digits, '.', '_', ':' or '-' (starting with a letter or digit): ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function checkIngestDate(value: string): string {
  if (!datePattern.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new ValidationError('runDate', `runDate must be YYYY-MM-DD: ${JSON.stringify(value)}`);
  }
  return value;
}

/** bronze/<source>/ingest_date=YYYY-MM-DD/run_id=<id> */
export function bronzeRunFolder(source: string, ingestDate: string, runId: string): string {
  return lakePath(
    'bronze',
    checkPathSegment('source', source),
    `ingest_date=${checkIngestDate(ingestDate)}`,
    `run_id=${checkPathSegment('runId', runId)}`,
  );
}
