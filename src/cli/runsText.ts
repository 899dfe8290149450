/** Plain-text views of past runs for `demand runs list|show`. */
import type { RunRecord } from '../lib/runs';

const n = (v: number | undefined): string => (v === undefined ? '–' : v.toLocaleString('en-GB'));

export function formatDuration(ms: number | null): string {
  if (ms === null) return 'running';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

const when = (iso: string): string => iso.replace('T', ' ').slice(0, 19);

function pad(cells: string[][]): string[] {
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  return cells.map((row) =>
    row
      .map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

export function formatRunList(runs: RunRecord[]): string {
  if (runs.length === 0) return 'No runs recorded yet: `demand run` (or `npm start`) records each run here.';
  const rows = runs.map((r) => [
    r.runId,
    r.orchestrator === 'demandPipeline' ? (r.trigger ?? '–') : `${r.trigger ?? '–'} (${r.orchestrator})`,
    r.status,
    when(r.startedAt),
    formatDuration(r.durationInMs),
    n(r.stages['ingestOrders']?.['records']),
    n(r.stages['silver']?.['quarantined']),
    n(r.stages['forecast']?.['skus']),
    r.errors.length ? r.errors[0]!.split('\n')[0]!.slice(0, 80) : '',
  ]);
  return pad([['RUN', 'TRIGGER', 'STATUS', 'STARTED (UTC)', 'DURATION', 'ORDER LINES', 'QUARANTINED', 'SKUS', 'ERROR'], ...rows]).join(
    '\n',
  );
}

export function formatRunDetail(run: RunRecord): string {
  const lines = [
    `Run ${run.runId}`,
    `  orchestrator  ${run.orchestrator}`,
    `  trigger       ${run.trigger ?? '–'}`,
    `  status        ${run.status}`,
    `  started       ${when(run.startedAt)} UTC`,
    `  finished      ${run.finishedAt ? `${when(run.finishedAt)} UTC` : '–'}`,
    `  duration      ${formatDuration(run.durationInMs)}`,
  ];
  const stages = Object.entries(run.stages);
  if (stages.length) {
    lines.push('Stages');
    for (const [stage, counts] of stages) {
      const text = Object.entries(counts)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(', ');
      lines.push(`  ${stage.padEnd(16)}${text || '(no counts)'}`);
    }
  }
  const reasons = Object.entries(run.quarantineReasons).sort((a, b) => b[1] - a[1]);
  if (reasons.length) {
    lines.push('Quarantined by reason');
    for (const [reason, count] of reasons) lines.push(`  ${reason.padEnd(32)}${n(count).padStart(10)}`);
  }
  if (run.errors.length) {
    lines.push('Errors');
    for (const e of run.errors) lines.push(`  ${e}`);
  }
  return lines.join('\n');
}
