/**
 * Gold target dates are calendar days after the origin whatever the machine's time zone: a user
 * east of UTC once got every target a day early (local-midnight parse, UTC format), so their local
 * run's forecasts, actions and dashboard differed from Azure's (which runs in UTC). Jest's sandbox
 * copies process.env, so setting TZ there does not reach V8: each zone runs in a child process,
 * which loads the TypeScript source through the compiler's own transpiler.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const source = path.resolve(__dirname, '../../src/activities/goldForecastRows.ts');

const script = `
const fs = require('node:fs');
const ts = require('typescript');
require.extensions['.ts'] = (m, file) =>
  m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { module: 1, target: 9 } }).outputText, file);
const { goldForecastRows } = require(${JSON.stringify(source)});
const forecast = { sku: 'A', model: 'snaive', point: [1, 2, 3], mean: [1, 2, 3], quantiles: {} };
const out = ['2011-12-09', '2012-02-28'].map((origin) => goldForecastRows('run-1', origin, forecast).map((r) => r.target_date));
process.stdout.write(JSON.stringify({ offsetMinutes: new Date(2011, 11, 9).getTimezoneOffset(), out }));
`;

function targetDatesIn(tz: string): { offsetMinutes: number; out: string[][] } {
  const text = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
  return JSON.parse(text) as { offsetMinutes: number; out: string[][] };
}

describe('goldForecastRows target dates', () => {
  it.each(['UTC', 'Asia/Tokyo', 'Europe/Berlin', 'America/Los_Angeles', 'Pacific/Kiritimati'])(
    'are the days after the origin in %s',
    (tz) => {
      const { offsetMinutes, out } = targetDatesIn(tz);
      // The zone really applied (UTC has no offset; the others do), so the test can see a shift.
      expect(offsetMinutes === 0).toBe(tz === 'UTC');
      expect(out).toEqual([
        ['2011-12-10', '2011-12-11', '2011-12-12'],
        ['2012-02-29', '2012-03-01', '2012-03-02'],
      ]);
    },
  );
});
