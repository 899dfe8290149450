/**
 * Every adx/*.kql command and every dashboard query, parsed
 * and semantically analyzed by Kusto.Language (the analyzer ADX itself uses) against the schema
 * the scripts create. No cluster is involved: this proves ADX's parser and binder accept the text
 * against that schema, not what ADX returns when it runs it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { adxRunsTable, adxTables } from '../../src/lib/publish/adxModel';
import { analyze, globalsFor, replayScripts, resultSchema, type AdxSchema, type KqlDiagnostic } from './kusto';

const adxDir = path.resolve(__dirname, '../../adx');
const scripts = readdirSync(adxDir)
  .filter((f) => f.endsWith('.kql'))
  .map((file) => ({ file, text: readFileSync(path.join(adxDir, file), 'utf8') }));

interface Dashboard {
  queries: Array<{ id: string; text: string }>;
  parameters: Array<{ kind: string; variableName?: string; beginVariableName?: string; endVariableName?: string }>;
}
const dashboard = JSON.parse(readFileSync(path.join(adxDir, 'dashboard.json'), 'utf8')) as Dashboard;

/** The dashboard's parameters as query parameters: string → string, a time range → two datetimes. */
function dashboardDeclaration(d: Dashboard): string {
  const declared = d.parameters.flatMap((p) =>
    p.kind === 'duration'
      ? [`${p.beginVariableName}:datetime`, `${p.endVariableName}:datetime`]
      : p.kind === 'string'
        ? [`${p.variableName}:string`]
        : [],
  );
  return `declare query_parameters(${declared.join(', ')});\n`;
}

const errorsOf = (diagnostics: KqlDiagnostic[]) => diagnostics.filter((d) => d.severity === 'Error');
const problems = (schema: AdxSchema) =>
  schema.commands
    .filter((c) => c.diagnostics.length > 0)
    .map((c) => ({ file: c.file, command: c.command.slice(0, 90), diagnostics: c.diagnostics }));

describe('KQL checked by Kusto.Language against the schema the adx scripts create', () => {
  let schema: AdxSchema;
  // About 0.5 s per command on one core: the replay is the slow part, done once.
  beforeAll(() => {
    schema = replayScripts(scripts);
  }, 240_000);

  it('replays every script command with no diagnostic, creating the tables, views and functions', () => {
    expect(problems(schema)).toEqual([]);
    expect([...schema.tables.keys()].sort()).toEqual([...adxTables.map((t) => t.table), adxRunsTable.table].sort());
    expect([...schema.views.keys()].sort()).toEqual(['DailyDemandLatest', 'LatestForecast']);
    expect([...schema.functions.keys()].sort()).toEqual([
      'AccuracyDistribution',
      'DriftEventsFor',
      'FleetForecast',
      'ForecastVsActual',
      'LatestRunId',
      'StockoutRisk',
      'TopMovers',
    ]);
    // Every block of every file was analyzed (a regex that stopped matching would shrink this).
    const blocks = scripts.reduce((n, s) => n + s.text.split(/\n\s*\n/).filter((b) => /^\s*\./m.test(b)).length, 0);
    expect(schema.commands).toHaveLength(blocks);
  });

  it('analyzes every dashboard query with no diagnostic, each returning a table', () => {
    expect(dashboard.queries).toHaveLength(9);
    const declaration = dashboardDeclaration(dashboard);
    for (const query of dashboard.queries) {
      const { diagnostics, code } = analyze(declaration + query.text, schema.globals);
      expect({ query: query.text, diagnostics }).toEqual({ query: query.text, diagnostics: [] });
      expect(resultSchema(code)).toMatch(/^\(\['\w+'\]:/);
    }
  });

  it('ForecastVsActual() (the function readers call with their SKU and dates) analyzes with the columns callers read', () => {
    const { diagnostics, code } = analyze("ForecastVsActual('85123A', datetime(2011-11-01), datetime(2011-12-31))", schema.globals);
    expect(diagnostics).toEqual([]);
    expect(resultSchema(code)).toMatch(/\['day'\]:datetime.*\['actual'\]:real.*\['point'\]:real/);
  });

  it('FleetForecast() sums expected units (the mean) per target date, the point sum beside it, and counts rows without expected', () => {
    const { diagnostics, code } = analyze('FleetForecast()', schema.globals);
    expect(diagnostics).toEqual([]);
    expect(resultSchema(code)).toMatch(/\['target_date'\]:datetime.*\['expected_units'\]:real.*\['point_units'\]:real/);
    const body = schema.functions.get('FleetForecast')!.body;
    expect(body).toContain('expected_units = sum(expected)');
    expect(body).toContain('countif(isnull(expected))');
    // Forecasts has the column as a real: without it the analyzer rejects the function.
    const withoutExpected = new Map(schema.tables);
    withoutExpected.set('Forecasts', schema.tables.get('Forecasts')!.replace(", ['expected']:real", ''));
    expect(withoutExpected.get('Forecasts')).not.toContain('expected');
    const globals = globalsFor({ tables: withoutExpected, views: new Map(), functions: new Map() });
    expect(errorsOf(analyze(`${body.slice(1, -1).replace('LatestRunId()', '"r"')}`, globals).diagnostics).length).toBeGreaterThan(0);
    // The fleet tile of the dashboard reads it.
    expect(dashboard.queries.some((q) => /^FleetForecast\(\)[\s\S]*expected_units/.test(q.text))).toBe(true);
  });

  it('ForecastVsActual() returns expected units beside the point', () => {
    const { code } = analyze("ForecastVsActual('85123A', datetime(2011-11-01), datetime(2011-12-31))", schema.globals);
    expect(resultSchema(code)).toMatch(/\['point'\]:real, \['expected'\]:real/);
  });

  it('LatestRunId() reads the run record, not the newest Forecasts row, and returns a run id string', () => {
    // Defect: it took arg_max(published_at) over Forecasts, so a re-forecast (a few SKUs streamed
    // under their own run id) became "the latest run" and the dashboards shrank to its SKUs.
    const body = schema.functions.get('LatestRunId')!.body.slice(1, -1);
    const { diagnostics, code } = analyze(body, schema.globals);
    expect(diagnostics).toEqual([]);
    expect(String(code.ResultType.Name)).toBe('string');
    // It depends on the run record: without the Runs table the analyzer rejects it.
    const withoutRuns = globalsFor({ ...schema, tables: new Map([...schema.tables].filter(([name]) => name !== adxRunsTable.table)) });
    expect(errorsOf(analyze(body, withoutRuns).diagnostics).map((d) => d.code)).toContain('KS204');
    expect(body).toMatch(/\['kind'\] == "full"/);
    // A run counts only once the rows it recorded have landed in the three tables dashboards read.
    for (const column of ['forecast_rows', 'accuracy_rows', 'inventory_rows']) expect(body).toContain(column);
    // Both "latest run" readers go through it (StockoutRisk had its own newest-row rule).
    for (const name of ['AccuracyDistribution', 'StockoutRisk']) expect(schema.functions.get(name)!.body).toContain('LatestRunId()');
  });

  /** One command of a script with `from` replaced, analyzed against `globals`. */
  function brokenCommand(file: string, from: string, to: string, globals = schema.globals): KqlDiagnostic[] {
    const command = schema.commands.find((c) => c.file === file && c.command.includes(from));
    if (!command) throw new Error(`${file} has no command with ${JSON.stringify(from)} to break`);
    return errorsOf(analyze(command.command.replace(from, to), globals).diagnostics);
  }

  describe('broken copies fail', () => {
    it('a function body naming a column no table has', () => {
      expect(brokenCommand('05-functions.kql', 'isnotnull(mase)', 'isnotnull(mase_score)').map((d) => d.message)).toEqual([
        "The name 'mase_score' does not refer to any known column, table, variable or function.",
      ]);
    });

    it('a table column renamed in 01-tables breaks the view and the function that read it', () => {
      const renamed = new Map(schema.tables);
      renamed.set('Forecasts', schema.tables.get('Forecasts')!.replace("['published_at']", "['publish_time']"));
      const globals = globalsFor({ tables: renamed, views: new Map(), functions: new Map() });
      expect(
        brokenCommand('04-views.kql', 'LatestForecast on table Forecasts', 'LatestForecast on table Forecasts', globals).length,
      ).toBeGreaterThan(0);
      expect(
        brokenCommand(
          '05-functions.kql',
          'LatestRunId()\n{',
          'LatestRunId()\n{',
          globalsFor({ tables: renamed, views: schema.views, functions: new Map() }),
        ),
      ).toEqual([]);
      expect(
        brokenCommand(
          '05-functions.kql',
          'ForecastVsActual(skuId',
          'ForecastVsActual(skuId',
          globalsFor({ tables: renamed, views: new Map(), functions: new Map() }),
        ).length,
      ).toBeGreaterThan(0);
    });

    it('a policy on a table that does not exist', () => {
      expect(
        brokenCommand(
          '03-policies.kql',
          '.alter table Forecasts policy streamingingestion enable',
          '.alter table Forecast policy streamingingestion enable',
        ).map((d) => d.code),
      ).toEqual(['KS204']);
    });

    it('a dashboard query reading a column its function does not return', () => {
      const { diagnostics } = analyze(
        `${dashboardDeclaration(dashboard)}AccuracyDistribution()\n| summarize sum(units) by mase_bin`,
        schema.globals,
      );
      expect(errorsOf(diagnostics).map((d) => d.code)).toEqual(['KS142']);
    });
  });
});
