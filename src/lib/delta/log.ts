/**
 * The Delta transaction log: action shapes, file naming, listing, reading commits and Parquet
 * checkpoints, and replaying actions into a table state (protocol, metadata, active files,
 * tombstones, application transaction versions). See PROTOCOL.md in delta-io/delta.
 */
import { DeltaProtocolError, DeltaTableNotFoundError } from '../errors';
import { lakePath, type LakeStore } from '../lake/lakeStore';
import { deletionVectorId, type DeletionVectorDescriptor } from './deletionVector';
import { decodeParquet } from './parquet';
import { valueText } from '../errors/valueText';

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

export interface MetadataAction {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options: Record<string, string> };
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number | null;
}

export interface AddAction {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: unknown;
}

export interface RemoveAction {
  path: string;
  deletionVector?: unknown;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
}

export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

export type CommitInfoAction = Record<string, unknown>;

export interface DeltaAction {
  protocol?: ProtocolAction;
  metaData?: MetadataAction;
  add?: AddAction;
  remove?: RemoveAction;
  txn?: TxnAction;
  commitInfo?: CommitInfoAction;
}

/** The replayed state of a table at one version. Keys of `files`/`tombstones` are decoded paths. */
export interface TableState {
  version: number;
  protocol: ProtocolAction | undefined;
  metadata: MetadataAction | undefined;
  files: Map<string, AddAction>;
  tombstones: Map<string, RemoveAction>;
  appTransactions: Map<string, number>;
}

export const logFolder = '_delta_log';

export function commitFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`;
}

export function checkpointFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.checkpoint.parquet`;
}

/**
 * Decodes a log path (a URI reference, relative to the table root) to the file path it names, the
 * key of the replayed state: a relative path stays relative; `file:/p`, `file:///p` and `/p` are
 * the same absolute path '/p' (so an add and a remove spelt differently still cancel, as Delta
 * canonicalises them); another scheme's URI is kept whole. Absolute paths are refused when read.
 */
export function decodeFilePath(table: string, path: string): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new DeltaProtocolError(table, `a file action has no path: ${JSON.stringify(path)}`);
  }
  let uriPath = path;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(path);
  if (scheme) {
    if ((scheme[1] as string).toLowerCase() !== 'file') return path;
    uriPath = path.slice(scheme[0].length);
    // file://authority/path: a local file has an empty authority.
    if (uriPath.startsWith('//')) uriPath = uriPath.slice(uriPath.indexOf('/', 2) >= 0 ? uriPath.indexOf('/', 2) : uriPath.length);
  }
  try {
    return decodeURIComponent(uriPath);
  } catch (err) {
    throw new DeltaProtocolError(table, `file path is not a valid URI reference: ${path}`, { cause: err });
  }
}

/** Whether a decoded file path lies outside the table folder (absolute, or another scheme's URI). */
export function isAbsoluteFilePath(decoded: string): boolean {
  return decoded.startsWith('/') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(decoded);
}

/** Encodes a table-relative file path for add/remove.path (RFC 2396 URI path, as Hadoop's Path.toUri does). */
export function encodeFilePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%3D/g, '=').replace(/%2C/g, ',').replace(/%40/g, '@').replace(/%3A/g, ':'))
    .join('/');
}

export function emptyState(): TableState {
  return {
    version: -1,
    protocol: undefined,
    metadata: undefined,
    files: new Map(),
    tombstones: new Map(),
    appTransactions: new Map(),
  };
}

/**
 * The key of a file in the replayed state: its decoded path, and with a deletion vector also the
 * vector's id (a DELETE on a file with a vector removes (path, old vector) and adds (path, new one),
 * in either order, as Delta keys files).
 */
export function fileKey(table: string, file: { path: string; deletionVector?: unknown }): string {
  const path = decodeFilePath(table, file.path);
  const dv = file.deletionVector as DeletionVectorDescriptor | null | undefined;
  return dv && typeof dv === 'object' && typeof dv.storageType === 'string' ? `${path}#dv:${deletionVectorId(dv)}` : path;
}

/** Applies one commit's (or checkpoint's) actions in order. */
export function applyActions(table: string, state: TableState, actions: Iterable<DeltaAction>): void {
  for (const action of actions) {
    // Unknown action kinds (cdc, domainMetadata, checkpointMetadata, sidecar...) carry nothing a
    // reader of the table's rows needs; commitInfo may have any shape.
    if (action.add && typeof action.add.path !== 'string')
      throw new DeltaProtocolError(table, `an add action has no path: ${JSON.stringify(action.add).slice(0, 200)}`);
    if (action.remove && typeof action.remove.path !== 'string')
      throw new DeltaProtocolError(table, `a remove action has no path: ${JSON.stringify(action.remove).slice(0, 200)}`);
    if (action.protocol) state.protocol = action.protocol;
    if (action.metaData) state.metadata = action.metaData;
    if (action.txn) state.appTransactions.set(action.txn.appId, action.txn.version);
    if (action.add) {
      const key = fileKey(table, action.add);
      state.files.set(key, action.add);
      state.tombstones.delete(key);
    }
    if (action.remove) {
      const key = fileKey(table, action.remove);
      state.files.delete(key);
      state.tombstones.set(key, action.remove);
    }
  }
}

/** Parses a newline-delimited JSON commit. */
export function parseCommit(table: string, version: number, text: string): DeltaAction[] {
  const actions: DeltaAction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line.length === 0) continue;
    let action: unknown;
    try {
      action = JSON.parse(line);
    } catch (err) {
      throw new DeltaProtocolError(table, `commit ${commitFileName(version)} line ${i + 1} is not JSON`, { cause: err });
    }
    if (action === null || typeof action !== 'object' || Array.isArray(action)) {
      throw new DeltaProtocolError(table, `commit ${commitFileName(version)} line ${i + 1} is not an action object: ${line.slice(0, 100)}`);
    }
    actions.push(action);
  }
  return actions;
}

function isPresent(value: unknown, key: string): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as Record<string, unknown>)[key] !== null &&
    (value as Record<string, unknown>)[key] !== undefined
  );
}

/** Parquet decoders give maps either as objects or as arrays of {key, value}: normalise to objects. */
function mapValue(value: unknown): Record<string, string | null> {
  if (value === null || value === undefined) return {};
  if (Array.isArray(value)) {
    const out: Record<string, string | null> = {};
    for (const entry of value as Array<{ key?: unknown; value?: unknown }>) {
      if (entry && typeof entry.key === 'string') out[entry.key] = (entry.value ?? null) as string | null;
    }
    return out;
  }
  if (value instanceof Map) return Object.fromEntries(value) as Record<string, string | null>;
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = (v ?? null) as string | null;
  return out;
}

/** Converts one decoded checkpoint row (columns txn, add, remove, metaData, protocol) into actions. */
export function checkpointRowToAction(row: Record<string, unknown>): DeltaAction {
  const action: DeltaAction = {};
  if (isPresent(row.protocol, 'minReaderVersion')) {
    const p = row.protocol as Record<string, unknown>;
    action.protocol = {
      minReaderVersion: Number(p.minReaderVersion),
      minWriterVersion: Number(p.minWriterVersion),
      ...(Array.isArray(p.readerFeatures) ? { readerFeatures: p.readerFeatures.map(String) } : {}),
      ...(Array.isArray(p.writerFeatures) ? { writerFeatures: p.writerFeatures.map(String) } : {}),
    };
  }
  if (isPresent(row.metaData, 'id')) {
    const m = row.metaData as Record<string, unknown>;
    const format = (m.format ?? {}) as Record<string, unknown>;
    action.metaData = {
      ...(m as unknown as MetadataAction),
      // Spark writes a null schemaString for Delta's schema-less Metadata(): the empty schema.
      schemaString: (m.schemaString ?? undefined) as string,
      format: { provider: valueText(format.provider ?? 'parquet'), options: mapValue(format.options) as Record<string, string> },
      partitionColumns: ((m.partitionColumns as unknown[] | null) ?? []).map(String),
      configuration: mapValue(m.configuration) as Record<string, string>,
    };
  }
  if (isPresent(row.txn, 'appId')) action.txn = row.txn as TxnAction;
  if (isPresent(row.add, 'path')) {
    const a = row.add as Record<string, unknown>;
    const { deletionVector, ...rest } = a;
    action.add = {
      ...(rest as unknown as AddAction),
      partitionValues: mapValue(a.partitionValues),
      // A checkpoint has the deletionVector column for every add: only a filled one is a vector.
      ...(isPresent(deletionVector, 'storageType') ? { deletionVector } : {}),
    };
  }
  if (isPresent(row.remove, 'path')) {
    const { deletionVector, ...rest } = row.remove as Record<string, unknown>;
    action.remove = { ...(rest as unknown as RemoveAction), ...(isPresent(deletionVector, 'storageType') ? { deletionVector } : {}) };
  }
  return action;
}

export interface LogListing {
  commits: Map<number, string>;
  /** version → part paths (single-part: one path), only complete checkpoints. */
  checkpoints: Map<number, string[]>;
  lastCheckpoint: string | undefined;
}

const commitPattern = /^(\d{20})\.json$/;
const singleCheckpointPattern = /^(\d{20})\.checkpoint\.parquet$/;
const multiCheckpointPattern = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
/** V2 checkpoints: `n.checkpoint.<uuid>.json|parquet`, whose file actions may sit in _sidecars/. */
const v2CheckpointPattern = /^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$/;

export async function listLog(lake: LakeStore, tablePath: string, options: { abortSignal?: AbortSignal } = {}): Promise<LogListing> {
  const prefix = lakePath(tablePath, logFolder);
  const commits = new Map<number, string>();
  const single = new Map<number, string>();
  const parts = new Map<number, { total: number; paths: Map<number, string> }>();
  let lastCheckpoint: string | undefined;
  for await (const entry of lake.list(prefix, { recursive: false, ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}) })) {
    const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    let m: RegExpExecArray | null;
    if ((m = commitPattern.exec(name))) commits.set(Number(m[1]), entry.path);
    else if ((m = singleCheckpointPattern.exec(name)) || (m = v2CheckpointPattern.exec(name))) {
      // A classic name wins over a v2 one for the same version (either describes the same state).
      if (!single.has(Number(m[1])) || singleCheckpointPattern.test(name)) single.set(Number(m[1]), entry.path);
    } else if ((m = multiCheckpointPattern.exec(name))) {
      const version = Number(m[1]);
      const slot = parts.get(version) ?? { total: Number(m[3]), paths: new Map<number, string>() };
      slot.paths.set(Number(m[2]), entry.path);
      parts.set(version, slot);
    } else if (name === '_last_checkpoint') lastCheckpoint = entry.path;
  }
  const checkpoints = new Map<number, string[]>();
  for (const [version, path] of single) checkpoints.set(version, [path]);
  for (const [version, slot] of parts) {
    if (slot.paths.size === slot.total && !checkpoints.has(version)) {
      checkpoints.set(
        version,
        [...slot.paths.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p),
      );
    }
  }
  return { commits, checkpoints, lastCheckpoint };
}

export function latestVersion(listing: LogListing): number {
  let latest = -1;
  for (const v of listing.commits.keys()) latest = Math.max(latest, v);
  for (const v of listing.checkpoints.keys()) latest = Math.max(latest, v);
  return latest;
}

/** Rows of a Parquet checkpoint (or sidecar) file, or a typed error naming it. */
async function readCheckpointRows(
  lake: LakeStore,
  table: string,
  path: string,
  columns: string[],
  signal?: AbortSignal,
): Promise<Array<Record<string, unknown>>> {
  const data = await lake.read(path, signal ? { abortSignal: signal } : {});
  try {
    return await decodeParquet(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), { columns });
  } catch (err) {
    throw new DeltaProtocolError(table, `checkpoint ${path} could not be read`, { cause: err });
  }
}

/**
 * The actions of a checkpoint: classic (single or multi-part Parquet) or v2 (a JSON or Parquet
 * top-level file whose `sidecar` actions name Parquet files in _delta_log/_sidecars/ holding the
 * add and remove actions). A classic-named file may be a v2 checkpoint too: its sidecars are read.
 */
async function readCheckpoint(lake: LakeStore, table: string, parts: string[], signal?: AbortSignal): Promise<DeltaAction[]> {
  const actions: DeltaAction[] = [];
  const sidecars: string[] = [];
  for (const part of parts) {
    if (part.endsWith('.json')) {
      const text = (await lake.read(part, signal ? { abortSignal: signal } : {})).toString('utf8');
      for (const action of parseCommit(table, -1, text)) {
        const sidecar = (action as { sidecar?: { path?: unknown } }).sidecar;
        if (typeof sidecar?.path === 'string') sidecars.push(sidecar.path);
        else actions.push(action);
      }
      continue;
    }
    for (const row of await readCheckpointRows(lake, table, part, ['txn', 'add', 'remove', 'metaData', 'protocol', 'sidecar'], signal)) {
      const sidecar = row.sidecar as { path?: unknown } | null | undefined;
      if (typeof sidecar?.path === 'string') sidecars.push(sidecar.path);
      else actions.push(checkpointRowToAction(row));
    }
  }
  for (const sidecar of sidecars) {
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:|^\//.test(sidecar)) {
      throw new DeltaProtocolError(table, `checkpoint sidecar ${sidecar} lies outside the table's _delta_log/_sidecars`);
    }
    const path = lakePath(table, logFolder, '_sidecars', decodeURIComponent(sidecar));
    for (const row of await readCheckpointRows(lake, table, path, ['add', 'remove'], signal)) actions.push(checkpointRowToAction(row));
  }
  return actions;
}

/**
 * The state of the newest readable checkpoint among `candidates` (newest first). A checkpoint that
 * cannot be read (truncated, not Parquet) is passed over for the next older one, then for the
 * commits from version 0, as Delta falls back to listing; the empty state when there is none.
 */
async function stateFromCheckpoints(
  lake: LakeStore,
  table: string,
  listing: LogListing,
  candidates: number[],
  signal: AbortSignal | undefined,
): Promise<TableState> {
  for (const version of candidates) {
    // Without the commits before it, a broken checkpoint cannot be stepped over.
    const commitsBefore = Array.from({ length: version + 1 }, (_, v) => v).every((v) => listing.commits.has(v));
    let actions: DeltaAction[];
    try {
      actions = await readCheckpoint(lake, table, listing.checkpoints.get(version) ?? [], signal);
    } catch (err) {
      if (err instanceof DeltaProtocolError && candidates.some((older) => older < version || commitsBefore)) continue;
      throw err;
    }
    const state = emptyState();
    applyActions(table, state, actions);
    state.version = version;
    return state;
  }
  return emptyState();
}

/**
 * Loads the table state at `version` (latest when undefined): newest complete checkpoint at or
 * below it (the `_last_checkpoint` hint first), then the JSON commits after it, which must be
 * contiguous.
 */
export async function loadTableState(
  lake: LakeStore,
  tablePath: string,
  options: { version?: number; abortSignal?: AbortSignal; listing?: LogListing } = {},
): Promise<TableState> {
  const table = tablePath;
  const signal = options.abortSignal;
  const listing = options.listing ?? (await listLog(lake, tablePath, signal ? { abortSignal: signal } : {}));
  const latest = latestVersion(listing);
  if (latest < 0) throw new DeltaTableNotFoundError(table, 'no _delta_log commits');
  const target = options.version ?? latest;
  if (!Number.isInteger(target) || target < 0 || target > latest) {
    throw new DeltaTableNotFoundError(table, `version ${target} does not exist (latest is ${latest})`);
  }

  // Checkpoints at or below the target, newest first; the `_last_checkpoint` hint only says where
  // to start, and a torn, empty or stale hint is ignored: the listing finds the checkpoints anyway.
  const candidates = [...listing.checkpoints.keys()].filter((v) => v <= target).sort((a, b) => b - a);
  const state = await stateFromCheckpoints(lake, table, listing, candidates, signal);
  const checkpointVersion = state.version;
  for (let v = checkpointVersion + 1; v <= target; v++) {
    signal?.throwIfAborted();
    const path = listing.commits.get(v);
    if (!path) {
      throw new DeltaProtocolError(table, `log is not contiguous: ${commitFileName(v)} is missing (reading version ${target})`);
    }
    const text = (await lake.read(path, signal ? { abortSignal: signal } : {})).toString('utf8');
    applyActions(table, state, parseCommit(table, v, text));
    state.version = v;
  }
  if (state.protocol && typeof state.protocol.minReaderVersion !== 'number') {
    throw new DeltaProtocolError(table, `protocol action without minReaderVersion: ${JSON.stringify(state.protocol)}`);
  }
  if (!state.protocol || !state.metadata) {
    throw new DeltaProtocolError(table, `no ${state.protocol ? 'metaData' : 'protocol'} action up to version ${target}`);
  }
  return state;
}

/** Reads the actions of one JSON commit (for conflict checks and history). */
export async function readCommit(lake: LakeStore, tablePath: string, version: number, signal?: AbortSignal): Promise<DeltaAction[]> {
  const path = lakePath(tablePath, logFolder, commitFileName(version));
  const text = (await lake.read(path, signal ? { abortSignal: signal } : {})).toString('utf8');
  return parseCommit(tablePath, version, text);
}
