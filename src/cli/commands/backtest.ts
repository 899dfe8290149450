import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { errorText, ValidationError } from '../../lib/errors';
import { backtestRowsToCsv, parseLongSeriesCsv, runBacktest } from '../../lib/forecast/backtest';
import type { CliContext } from '../context';

interface BacktestFlags {
  input: string;
  horizon: string;
  season: string;
  output: string;
  models?: string;
}

function positiveInt(field: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new ValidationError(field, `--${field} must be a positive integer, got "${raw}"`);
  return v;
}

/**
 * `demand backtest --input FILE --horizon H --season M --output OUT.csv [--models a,b]`: the
 * benchmark contract shared with ../anchors/r_reference.R (same hold-out, same definitions).
 */
export function registerBacktestCommand(program: Command, context: CliContext): void {
  program
    .command('backtest')
    .description('Hold out the last H points of each series in a series_id,date,y CSV and score the engine (and named models)')
    .requiredOption('--input <file>', 'CSV with header series_id,date,y')
    .requiredOption('--horizon <H>', 'points held out per series')
    .requiredOption('--season <M>', 'season length (7 for daily data)')
    .requiredOption('--output <file>', 'CSV: series_id,model,mase,smape,abs_err,abs_actual,fit_ms')
    .option('--models <list>', 'extra models, comma-separated (each gets its own row per series)')
    .action(async (flags: BacktestFlags) => {
      try {
        const horizon = positiveInt('horizon', flags.horizon);
        const season = positiveInt('season', flags.season);
        const models = flags.models ? flags.models.split(',').map((m) => m.trim()).filter(Boolean) : [];
        const text = await fs.readFile(flags.input, 'utf8');
        const series = parseLongSeriesCsv(text);
        const rows = runBacktest(series, { horizon, season, models });
        // Atomic write: a half-written result file never replaces a good one.
        const out = path.resolve(flags.output);
        const tmp = `${out}.${process.pid}.tmp`;
        await fs.writeFile(tmp, backtestRowsToCsv(rows));
        await fs.rename(tmp, out);
        const auto = rows.filter((r) => r.model === 'auto' && Number.isFinite(r.mase));
        const meanMase = auto.length ? (auto.reduce((s, r) => s + r.mase, 0) / auto.length).toFixed(4) : 'n/a';
        context.stdout(`backtest: ${series.length} series, ${rows.length} rows -> ${out} (auto mean MASE ${meanMase} over ${auto.length} series with a finite MASE)\n`);
      } catch (e) {
        context.stderr(`${errorText(e)}\n`);
        context.setExitCode(1);
      }
    });
}
