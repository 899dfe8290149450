/**
 * Named points where a test may kill this process (SIGKILL, no clean-up), to prove that a run
 * killed anywhere is completed by the next one. Off unless DEMAND_CRASH_AT is set:
 *   DEMAND_CRASH_AT=<point>     the first time the point is reached
 *   DEMAND_CRASH_AT=<point>#<n> the n-th time (1-based)
 * DEMAND_CRASH_POINTS_LOG=<file> appends each point reached (how the crash test learns the points).
 */
import { appendFileSync } from 'node:fs';

const hits = new Map<string, number>();

export function crashPoint(name: string): void {
  const spec = process.env['DEMAND_CRASH_AT'];
  const logFile = process.env['DEMAND_CRASH_POINTS_LOG'];
  if (!spec && !logFile) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (logFile) appendFileSync(logFile, `${name}#${n}\n`);
  if (!spec) return;
  const [point, countText] = spec.split('#');
  if (point === name && n === Number(countText ?? '1')) process.kill(process.pid, 'SIGKILL');
}
