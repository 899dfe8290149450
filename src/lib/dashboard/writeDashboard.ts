import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '../errors';
import type { PipelineServices } from '../pipelineServices';
import { loadDashboardData, type DashboardData } from './dashboardData';
import { renderDashboardFiles } from './renderHtml';

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
}

export interface WrittenDashboard {
  path: string;
  skus: number;
  /** The folder of per-SKU part files, when the fleet is too large for one file. */
  partsDir?: string;
  bytes: number;
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
  const data = await loadDashboardData(services, {
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
    ...(options.historyDays !== undefined ? { historyDays: options.historyDays } : {}),
  });
  const written = await writeDashboardFiles(data, options.outputPath, options.split ?? 'auto');
  services.log(
    `dashboard: ${data.skus.length} SKUs of run ${data.runId ?? '(none)'} → ${written.path} (${Math.round(written.bytes / 1024)} KB` +
      `${written.partsDir ? `, series in ${written.partsDir}` : ''})`,
  );
  return written;
}

/** Writes already loaded dashboard data (the browser test feeds a synthetic fleet through here). */
export async function writeDashboardFiles(
  data: DashboardData,
  outputPath: string,
  split: 'auto' | 'always' | 'never' = 'auto',
): Promise<WrittenDashboard> {
  const target = path.resolve(outputPath);
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  const base = path.basename(target).replace(/\.html?$/i, '');
  const splitting = split === 'always' || (split === 'auto' && data.skus.length > inlineSkuLimit);
  const partsDir = splitting ? `${base}_files-${randomBytes(4).toString('hex')}` : undefined;
  const { html, files } = renderDashboardFiles(data, partsDir !== undefined ? { partsDir } : {});
  if (partsDir !== undefined) {
    await fs.mkdir(path.join(dir, partsDir));
    for (const [name, text] of files) await fs.writeFile(path.join(dir, partsDir, name), text, 'utf8');
  }
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temp, html, 'utf8');
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    if (partsDir !== undefined) await fs.rm(path.join(dir, partsDir), { recursive: true, force: true });
    throw err;
  }
  for (const entry of await fs.readdir(dir)) {
    if (entry.startsWith(`${base}_files-`) && entry !== partsDir) await fs.rm(path.join(dir, entry), { recursive: true, force: true });
  }
  return {
    path: target,
    skus: data.skus.length,
    bytes: html.length,
    ...(partsDir !== undefined ? { partsDir: path.join(dir, partsDir) } : {}),
  };
}
