import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { errorText, ValidationError } from '../../lib/errors';
import {
  backtestPointsCsvHeader,
  backtestPointToCsv,
  backtestRowsToCsv,
  parseLongSeriesCsv,
  runBacktest,
} from '../../lib/forecast/backtest';
import type { CliContext } from '../context';

interface BacktestFlags {
  input: string;
  horizon: string;
  season: string;
  output: string;
  models?: string;
  autoExtra?: string;
  fillGaps?: boolean;
  forecasts?: string;
}

async function writeAtomically(file: string, text: string): Promise<string> {
  // A half-written result file never replaces a good one.
  const out = path.resolve(file);
  const tmp = `${out}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, out);
  return out;
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
    .requiredOption(
      '--output <file>',
      'CSV: series_id,model,mase,smape,abs_err,abs_actual,fit_ms,coverage50,coverage90,pinball,bias,chosen,reason,rmsse,mean_bias,pit_coverage50,pit_coverage90 ' +
        '(bias: Σ point − Σ actual over the hold-out; mean_bias: the same for the expected units, what Gold `expected` and fleet totals add up)',
    )
    .option('--models <list>', 'extra models, comma-separated (each gets its own row per series)')
    .option('--auto-extra <list>', "models added to auto's default candidates, comma-separated (e.g. prophet)")
    .option(
      '--fill-gaps',
      'fill days missing from a series with 0 (each filled series says so in its reason); default: a missing day is an error',
    )
    .option('--forecasts <file>', 'also write every hold-out point: series_id,model,date,actual,point,q05,q25,q50,q75,q95,expected')
    .action(async (flags: BacktestFlags) => {
      try {
        const horizon = positiveInt('horizon', flags.horizon);
        const season = positiveInt('season', flags.season);
        const list = (raw: string | undefined): string[] =>
          (raw ?? '')
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean);
        const models = list(flags.models);
        const autoExtra = list(flags.autoExtra);
        const text = await fs.readFile(flags.input, 'utf8');
        const series = parseLongSeriesCsv(text, { fillGaps: flags.fillGaps === true });
        const points: string[] = [];
        const rows = runBacktest(series, {
          horizon,
          season,
          models,
          ...(autoExtra.length ? { extraCandidates: autoExtra } : {}),
          ...(flags.forecasts ? { onPoint: (p) => void points.push(backtestPointToCsv(p)) } : {}),
        });
        const out = await writeAtomically(flags.output, backtestRowsToCsv(rows));
        if (flags.forecasts) await writeAtomically(flags.forecasts, `${backtestPointsCsvHeader}\n${points.map((l) => `${l}\n`).join('')}`);
        const auto = rows.filter((r) => r.model === 'auto' && Number.isFinite(r.mase));
        const failed = rows.filter((r) => r.model === 'auto' && !Number.isFinite(r.absError)).length;
        const meanMase = auto.length ? (auto.reduce((s, r) => s + r.mase, 0) / auto.length).toFixed(4) : 'n/a';
        const scored = rows.filter((r) => r.model === 'auto' && Number.isFinite(r.absActual));
        const actual = scored.reduce((s, r) => s + r.absActual, 0);
        const bias = actual > 0 ? `${((100 * scored.reduce((s, r) => s + r.bias, 0)) / actual).toFixed(1)}%` : 'n/a';
        const meanBias = actual > 0 ? `${((100 * scored.reduce((s, r) => s + r.meanBias, 0)) / actual).toFixed(1)}%` : 'n/a';
        context.stdout(
          `backtest: ${series.length} series, ${rows.length} rows -> ${out} (auto mean MASE ${meanMase} over ${auto.length} series with a finite MASE; ` +
            `fleet bias ${bias} (point), ${meanBias} (mean); ${failed} series not scored, see their reason)\n`,
        );
      } catch (e) {
        context.stderr(`${errorText(e)}\n`);
        context.setExitCode(1);
      }
    });
}
