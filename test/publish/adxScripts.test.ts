/**
 * Structural checks of adx/*.kql and adx/dashboard.json against the lake schemas and the publisher's
 * ADX model. No ADX cluster is involved: this proves the scripts are consistent, not that ADX runs them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { adxColumns, adxRunsTable, adxTables, adxTypeFor } from '../../src/lib/publish/adxModel';
import { lakeTables } from '../../src/lib/lakeTables';

const adxDir = path.resolve(__dirname, '../../adx');

/** Commands of a script: blank-line separated, `//` comment lines dropped. */
function commands(file: string): string[] {
  const text = readFileSync(path.join(adxDir, file), 'utf8')
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n');
  return text
    .split(/\n\s*\n/)
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
}

function parseColumns(list: string): Array<{ name: string; type: string }> {
  return list.split(',').map((part) => {
    const match = /^\s*(?:\['(\w+)'\]|(\w+))\s*:\s*(\w+)\s*$/.exec(part);
    if (!match) throw new Error(`Unparsable column "${part}"`);
    return { name: (match[1] ?? match[2])!, type: match[3]! };
  });
}

const tableCommands = commands('01-tables.kql');
const createdTables = new Map<string, Array<{ name: string; type: string }>>();
for (const command of tableCommands) {
  const match = /^\.create-merge table (\w+) \(([\s\S]*?)\)\s*(with \([\s\S]*\))?$/.exec(command);
  if (match) createdTables.set(match[1]!, parseColumns(match[2]!));
}
const viewNames = commands('04-views.kql').flatMap((c) => /materialized-view[\s\S]*?\)\s*\n?(\w+) on table (\w+)/.exec(c)?.[1] ?? []);
const functionCommands = commands('05-functions.kql');
const functionNames = functionCommands.flatMap((c) => /^\.create-or-alter function[\s\S]*?\)\s*\n(\w+)\(/.exec(c)?.[1] ?? []);
const knownEntities = new Set([...createdTables.keys(), ...viewNames, ...functionNames]);

/** PascalCase identifiers outside string literals: in these scripts they can only be tables, views or functions. */
function referencedEntities(kql: string): string[] {
  const withoutStrings = kql.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  return [...new Set(withoutStrings.match(/\b[A-Z][A-Za-z0-9]*\b/g) ?? [])];
}

describe('adx scripts', () => {
  it('every script command is idempotent (create-merge / create-or-alter / ifnotexists / alter)', () => {
    for (const file of readdirSync(adxDir).filter((f) => f.endsWith('.kql'))) {
      for (const command of commands(file)) {
        expect(command).toMatch(/^\.(create-merge|create-or-alter|create ifnotexists|alter-merge|alter) /);
      }
    }
  });

  it('creates one table per published lake table with exactly the Gold/Silver columns and types', () => {
    expect([...createdTables.keys()].sort()).toEqual([...adxTables.map((t) => t.table), adxRunsTable.table].sort());
    expect(createdTables.get(adxRunsTable.table)).toEqual(adxRunsTable.columns);
    for (const def of adxTables) {
      const columns = createdTables.get(def.table)!;
      expect(columns).toEqual(adxColumns(def));
      // Every lake column is there with the mapped type (guards the model as well as the script).
      for (const field of lakeTables[def.lakeTable].schema.fields) {
        expect(columns).toContainEqual({ name: field.name, type: adxTypeFor(field.type) });
      }
    }
  });

  it('has a JSON mapping for every table covering every column by its JSON path', () => {
    const mappings = new Map<
      string,
      { table: string; entries: Array<{ column: string; datatype: string; Properties: { Path: string } }> }
    >();
    for (const command of commands('02-mappings.kql')) {
      const match = /^\.create-or-alter table (\w+) ingestion json mapping "(\w+)"\s*\n([\s\S]*)$/.exec(command);
      expect(match).not.toBeNull();
      // KQL concatenates adjacent string literals: '[' '…' ']'.
      const json = [...match![3]!.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]).join('');
      mappings.set(match![2]!, {
        table: match![1]!,
        entries: JSON.parse(json) as Array<{ column: string; datatype: string; Properties: { Path: string } }>,
      });
    }
    for (const def of adxTables) {
      const mapping = mappings.get(def.mapping);
      expect(mapping?.table).toBe(def.table);
      expect(mapping!.entries.map((e) => ({ name: e.column, type: e.datatype }))).toEqual(adxColumns(def));
      for (const entry of mapping!.entries) expect(entry.Properties.Path).toBe(`$.${entry.column}`);
    }
  });

  it('Forecasts has the expected units column as a real, in the table and in its JSON mapping', () => {
    expect(createdTables.get('Forecasts')).toContainEqual({ name: 'expected', type: 'real' });
    const forecasts = adxTables.find((t) => t.table === 'Forecasts')!;
    expect(adxColumns(forecasts)).toContainEqual({ name: 'expected', type: 'real' });
    expect(commands('02-mappings.kql').find((c) => c.includes('"Forecasts_json"'))).toContain(
      '{"column": "expected", "datatype": "real", "Properties": {"Path": "$.expected"}}',
    );
  });

  it('sets retention and caching on every table and streaming ingestion where single-SKU publishes stream', () => {
    const policies = commands('03-policies.kql').join('\n');
    for (const def of adxTables) {
      expect(policies).toMatch(new RegExp(`\\.alter-merge table ${def.table} policy retention softdelete = \\d+d`));
      expect(policies).toMatch(new RegExp(`\\.alter table ${def.table} policy caching hot = \\d+d`));
      expect(policies.includes(`.alter table ${def.table} policy streamingingestion enable`)).toBe(def.streaming);
    }
  });

  it('defines the latest-forecast view with arg_max per SKU and target date over existing tables', () => {
    expect(viewNames).toEqual(expect.arrayContaining(['LatestForecast', 'DailyDemandLatest']));
    const latest = commands('04-views.kql').find((c) => c.includes('LatestForecast on table Forecasts'));
    expect(latest).toMatch(/summarize arg_max\(published_at, \*\) by sku, target_date/);
    for (const command of commands('04-views.kql')) {
      for (const name of referencedEntities(command)) expect(knownEntities).toContain(name);
    }
  });

  it('stored functions reference only existing tables, views and functions', () => {
    expect(functionNames).toEqual(
      expect.arrayContaining([
        'ForecastVsActual',
        'FleetForecast',
        'TopMovers',
        'AccuracyDistribution',
        'StockoutRisk',
        'DriftEventsFor',
        'LatestRunId',
      ]),
    );
    expect(functionCommands.join('\n')).toMatch(/ForecastVsActual\(skuId: string, fromDate: datetime, toDate: datetime\)/);
    for (const command of functionCommands) {
      const body = command.slice(command.indexOf('{'));
      for (const name of referencedEntities(body)) expect(knownEntities).toContain(name);
    }
  });
});

describe('adx/dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(path.join(adxDir, 'dashboard.json'), 'utf8')) as {
    $schema: string;
    schema_version: string;
    tiles: Array<{ id: string; title: string; pageId: string; visualType: string; queryRef: { kind: string; queryId: string } }>;
    queries: Array<{ id: string; text: string; usedVariables: string[]; dataSource: { kind: string; dataSourceId: string } }>;
    parameters: Array<{
      kind: string;
      id: string;
      variableName?: string;
      beginVariableName?: string;
      endVariableName?: string;
      dataSource?: { queryRef: { queryId: string } };
    }>;
    dataSources: Array<{ id: string; kind: string; scopeId: string; clusterUri: string; database: string }>;
    pages: Array<{ id: string; name: string }>;
  };
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('is in the export format with schema version, pages, data source, queries and tiles', () => {
    expect(dashboard.$schema).toBe(`https://dataexplorer.azure.com/static/d/schema/${dashboard.schema_version}/dashboard.json`);
    expect(dashboard.dataSources).toHaveLength(1);
    expect(dashboard.dataSources[0]).toMatchObject({ kind: 'manual-kusto', scopeId: 'kusto', database: 'demand' });
    const ids = [...dashboard.tiles, ...dashboard.queries, ...dashboard.parameters, ...dashboard.pages, ...dashboard.dataSources].map(
      (x) => x.id,
    );
    for (const id of ids) expect(id).toMatch(uuid);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('wires every tile to a query, a page and the data source; every query is used once', () => {
    const queryIds = new Set(dashboard.queries.map((q) => q.id));
    const pageIds = new Set(dashboard.pages.map((p) => p.id));
    const used = [
      ...dashboard.tiles.map((t) => t.queryRef.queryId),
      ...dashboard.parameters.flatMap((p) => p.dataSource?.queryRef.queryId ?? []),
    ];
    for (const tile of dashboard.tiles) {
      expect(queryIds).toContain(tile.queryRef.queryId);
      expect(pageIds).toContain(tile.pageId);
    }
    expect(used.sort()).toEqual([...queryIds].sort());
    for (const query of dashboard.queries) expect(query.dataSource).toEqual({ kind: 'inline', dataSourceId: dashboard.dataSources[0]!.id });
  });

  it('has the views the issue asks for, over existing tables and functions', () => {
    const titles = dashboard.tiles.map((t) => t.title.toLowerCase()).join(' | ');
    for (const view of ['forecast vs actual', 'top movers', 'accuracy distribution', 'stockout risk', 'drift events'])
      expect(titles).toContain(view);
    for (const query of dashboard.queries) {
      const entities = referencedEntities(query.text);
      expect(entities.length).toBeGreaterThan(0);
      for (const name of entities) expect(knownEntities).toContain(name);
    }
  });

  it('declares a SKU parameter and every variable a query uses', () => {
    const variables = new Set(
      dashboard.parameters.flatMap((p) => [p.variableName, p.beginVariableName, p.endVariableName].filter((v): v is string => !!v)),
    );
    expect(variables).toContain('_sku');
    for (const query of dashboard.queries) {
      const inText = [...new Set(query.text.match(/\b_[a-zA-Z]+\b/g) ?? [])];
      expect(query.usedVariables.sort()).toEqual(inText.sort());
      for (const v of inText) expect(variables).toContain(v);
    }
    const forecastTile = dashboard.tiles.find((t) => t.title.startsWith('Forecast vs actual'))!;
    const forecastQuery = dashboard.queries.find((q) => q.id === forecastTile.queryRef.queryId)!;
    expect(forecastQuery.text).toMatch(/ForecastVsActual\(_sku,/);
    expect(forecastQuery.text).toMatch(/q05.*q95/);
  });
});
