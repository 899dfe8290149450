import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ValidationError } from '../errors';
import type { PipelineServices } from '../pipelineServices';
import { signalOf } from '../pipelineServices';
import { readLakeRows } from '../publish/lakeRows';
import {
  checkedHistoryDays,
  dashboardScope,
  defaultHistoryDays,
  loadDashboardData,
  newestDriftCheck,
  type DashboardData,
  type DashboardScope,
} from './dashboardData';
import type { DashboardHead } from './dashboardParts';
import { builtFromVersions, onlyDriftChanged, previousView, viewFormat, writeView, type PreviousView } from './dashboardView';
import type { EarlierParts } from './partWriter';
import { renderDashboardFiles, renderPage } from './renderHtml';
import { streamedDashboardSkus, writeStreamedDashboardParts, type ShownSkus, type StreamedDashboardStats } from './streamedDashboard';

/** Up to this many SKUs the dashboard is one self-contained file; above, series go to a folder beside it. */
export const inlineSkuLimit = 300;

export interface WriteDashboardOptions {
  /** Run to show; the latest forecast run when absent. */
  runId?: string;
  /** Local file to write (folders are created). */
  outputPath: string;
  /** Days of daily-demand history per SKU (default 180). */
  historyDays?: number;
  /** 'auto' (default): split above `inlineSkuLimit` SKUs; 'always' / 'never' force it. */
  split?: 'auto' | 'always' | 'never';
  /** Scratch folder of a split dashboard's series (DEMAND_SCRATCH_DIR; default the OS temp folder). */
  scratchDir?: string;
  /** SKUs a split dashboard builds at a time (default 250). */
  bucketSkus?: number;
}

export interface WrittenDashboard {
  path: string;
  skus: number;
  /** The folder of per-SKU part files, when the fleet is too large for one file. */
  partsDir?: string;
  bytes: number;
  /** A split dashboard's bounds: SKUs built per bucket and the most rows one bucket held. */
  streamed?: StreamedDashboardStats;
  /** True when only the head was rendered again and the earlier part files were kept (only drift events changed). */
  reusedParts?: boolean;
}

/**
 * Writes the HTML dashboard of a run. A small fleet's is one self-contained file; a large fleet's
 * catalogue and series go to a new folder `<name>_files-<id>` beside it, written before the HTML
 * is renamed into place, so a reader never sees a page pointing at missing or half-written data.
 * Folders of earlier dashboards of the same name are removed afterwards.
 */
export async function writeDashboard(
  services: Pick<PipelineServices, 'lake' | 'abortSignal' | 'log'> & Partial<Pick<PipelineServices, 'entities'>>,
  options: WriteDashboardOptions,
): Promise<WrittenDashboard> {
  if (!options.outputPath) throw new ValidationError('outputPath', 'Dashboard output path is empty');
  const read = {
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
    ...(options.historyDays !== undefined ? { historyDays: options.historyDays } : {}),
  };
  const split = options.split ?? 'auto';
  // A fleet split into part files is written streaming (memory flat in the SKU count); a small one in memory.
  if (split !== 'never') {
    const signal = signalOf(services);
    // Versions first: a table written while this build reads shows up as a change to the next one.
    const versions = await builtFromVersions(services.lake, signal);
    const previous = await previousView(path.resolve(options.outputPath), services.lake);
    const scope = await dashboardScope(services, read);
    const historyDays = checkedHistoryDays(options.historyDays ?? defaultHistoryDays);
    if (previous && onlyDriftChanged(previous.view, scope, versions, historyDays)) {
      return rewriteHead(services, options.outputPath, previous, scope, versions);
    }
    const shown = await streamedDashboardSkus(services, read, { scope, ...(previous ? { previous } : {}) });
    if (split === 'always' || shown.skus.length > inlineSkuLimit) {
      const earlier = previous && {
        dir: path.join(path.dirname(path.resolve(options.outputPath)), previous.partsDirName),
        hashes: previous.view.parts,
      };
      return writeStreamedDashboard(services, options, shown, versions, earlier);
    }
  }
  // A small fleet's forecasts are read twice in one publish: sku and run_id above (the SKU count,
  // which must be known before a whole table is held in memory), then in full here. Reading once
  // would mean reading every column in that first pass, a large fleet's too; two columns of at
  // most inlineSkuLimit SKUs cost little.
  const data = await loadDashboardData(services, read);
  const written = await writeDashboardFiles(data, options.outputPath, split);
  services.log(
    `dashboard: ${data.skus.length} SKUs of run ${data.runId ?? '(none)'} → ${written.path} (${Math.round(written.bytes / 1024)} KB` +
      `${written.partsDir ? `, series in ${written.partsDir}` : ''})`,
  );
  return written;
}

async function writeStreamedDashboard(
  services: Pick<PipelineServices, 'lake' | 'abortSignal' | 'log'> & Partial<Pick<PipelineServices, 'entities'>>,
  options: WriteDashboardOptions,
  shown: ShownSkus,
  versions: Record<string, number>,
  earlierParts: EarlierParts | undefined,
): Promise<WrittenDashboard> {
  const { target, dir, base } = await outputOf(options.outputPath);
  const partsDirName = `${base}_files-${randomBytes(4).toString('hex')}`;
  const partsDir = path.join(dir, partsDirName);
  const scratch = await fs.mkdtemp(path.join(options.scratchDir ?? os.tmpdir(), 'dashboard-'));
  try {
    await fs.mkdir(partsDir);
    const { html, stats, runId, head, partHashes } = await writeStreamedDashboardParts(
      {
        services,
        scratch,
        partsDir,
        partsDirName,
        ...(earlierParts ? { earlierParts } : {}),
        options: {
          ...(options.runId !== undefined ? { runId: options.runId } : {}),
          ...(options.historyDays !== undefined ? { historyDays: options.historyDays } : {}),
          ...(options.bucketSkus !== undefined ? { bucketSkus: options.bucketSkus } : {}),
        },
      },
      shown,
    );
    await writeView(partsDir, {
      format: viewFormat,
      lake: services.lake.location,
      historyDays: head.historyDays,
      runs: shown.scope.runs,
      quarantineRun: shown.scope.quarantineRun ?? null,
      firstMonth: shown.scope.firstMonth,
      versions,
      head,
      parts: partHashes,
    });
    await placePage(target, html, partsDir);
    await removeOlderParts(dir, base, partsDirName);
    services.log(
      `dashboard: ${stats.skus} SKUs of run ${runId ?? '(none)'} → ${target} (${Math.round(html.length / 1024)} KB, series in ${partsDir}; ` +
        `built ${stats.buckets} bucket(s) of SKUs, at most ${stats.maxBucketRows} rows at once; ` +
        `${stats.chunksWritten ?? 0} chunk(s) written, ${stats.chunksLinked ?? 0} unchanged linked` +
        `${shown.newRuns && shown.forecastRuns === shown.newRuns ? `; read only the forecasts of ${[...shown.newRuns].join(', ')}` : ''})`,
    );
    return { path: target, skus: stats.skus, bytes: html.length, partsDir, streamed: stats };
  } catch (err) {
    await fs.rm(partsDir, { recursive: true, force: true });
    throw err;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The drift check's re-publish: nothing the series or the summary are built from changed, so the
 * page keeps its part files and only its head is rendered again with the current drift events.
 */
async function rewriteHead(
  services: Pick<PipelineServices, 'lake' | 'abortSignal' | 'log'>,
  outputPath: string,
  previous: PreviousView,
  scope: DashboardScope,
  versions: Record<string, number>,
): Promise<WrittenDashboard> {
  const { target, dir } = await outputOf(outputPath);
  const partsDir = path.join(dir, previous.partsDirName);
  const drift = newestDriftCheck(
    await readLakeRows(services.lake, 'drift_events', { partitionFilter: (v) => scope.runSet.has(v.run_id ?? ''), ...signalOf(services) }),
  );
  const old = previous.view.head;
  const head: DashboardHead = {
    ...old,
    generatedAt: new Date().toISOString(),
    summary: { ...old.summary, driftEvents: drift.length },
    drift,
  };
  const html = renderPage(head, { head, inline: {}, partsDir: previous.partsDirName });
  await writeView(partsDir, { ...previous.view, versions, head });
  await placePage(target, html, undefined);
  services.log(
    `dashboard: ${head.summary.skus} SKUs of run ${head.runId ?? '(none)'} → ${target}: only drift events changed, ` +
      `head re-rendered (${drift.length} events), series in ${partsDir} kept`,
  );
  return { path: target, skus: head.summary.skus, bytes: html.length, partsDir, reusedParts: true };
}

async function outputOf(outputPath: string): Promise<{ target: string; dir: string; base: string }> {
  const target = path.resolve(outputPath);
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  return { target, dir, base: path.basename(target).replace(/\.html?$/i, '') };
}

/** The page renamed into place (its parts, if any, are written already), so a reader never sees a half-written one. */
async function placePage(target: string, html: string, partsDir: string | undefined): Promise<void> {
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temp, html, 'utf8');
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    if (partsDir !== undefined) await fs.rm(partsDir, { recursive: true, force: true });
    throw err;
  }
}

async function removeOlderParts(dir: string, base: string, keep: string | undefined): Promise<void> {
  for (const entry of await fs.readdir(dir)) {
    if (entry.startsWith(`${base}_files-`) && entry !== keep) await fs.rm(path.join(dir, entry), { recursive: true, force: true });
  }
}

/** Writes already loaded dashboard data (the browser test feeds a synthetic fleet through here). */
export async function writeDashboardFiles(
  data: DashboardData,
  outputPath: string,
  split: 'auto' | 'always' | 'never' = 'auto',
): Promise<WrittenDashboard> {
  const { target, dir, base } = await outputOf(outputPath);
  const splitting = split === 'always' || (split === 'auto' && data.skus.length > inlineSkuLimit);
  const partsDir = splitting ? `${base}_files-${randomBytes(4).toString('hex')}` : undefined;
  const { html, files } = renderDashboardFiles(data, partsDir !== undefined ? { partsDir } : {});
  if (partsDir !== undefined) {
    await fs.mkdir(path.join(dir, partsDir));
    for (const [name, text] of files) await fs.writeFile(path.join(dir, partsDir, name), text, 'utf8');
  }
  await placePage(target, html, partsDir !== undefined ? path.join(dir, partsDir) : undefined);
  await removeOlderParts(dir, base, partsDir);
  return {
    path: target,
    skus: data.skus.length,
    bytes: html.length,
    ...(partsDir !== undefined ? { partsDir: path.join(dir, partsDir) } : {}),
  };
}
