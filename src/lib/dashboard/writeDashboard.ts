import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '../errors';
import type { PipelineServices } from '../pipeline/contracts';
import { loadDashboardData } from './dashboardData';
import { renderDashboardHtml } from './renderHtml';

export interface WriteDashboardOptions {
  /** Run to show; the latest forecast run when absent. */
  runId?: string;
  /** Local file to write (folders are created). */
  outputPath: string;
  /** Days of daily-demand history per SKU (default 180). */
  historyDays?: number;
}

/**
 * Writes the self-contained HTML dashboard of a run. The file is written to a temporary name and
 * renamed into place, so a reader never sees half a dashboard.
 */
export async function writeDashboard(
  services: Pick<PipelineServices, 'lake' | 'abortSignal' | 'log'> & Partial<Pick<PipelineServices, 'entities'>>,
  options: WriteDashboardOptions,
): Promise<{ path: string; skus: number }> {
  if (!options.outputPath) throw new ValidationError('outputPath', 'Dashboard output path is empty');
  const data = await loadDashboardData(services, {
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
    ...(options.historyDays !== undefined ? { historyDays: options.historyDays } : {}),
  });
  const html = renderDashboardHtml(data);
  const target = path.resolve(options.outputPath);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temp, html, 'utf8');
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  services.log(`dashboard: ${data.skus.length} SKUs of run ${data.runId ?? '(none)'} → ${target} (${Math.round(html.length / 1024)} KB)`);
  return { path: target, skus: data.skus.length };
}
