/**
 * Kusto.Language (the parser and semantic analyzer ADX itself uses, compiled to JavaScript by
 * Bridge.NET) loaded for tests, and a replay of the adx/*.kql scripts that builds the database
 * schema they create, command by command, checking each command against the schema so far — the
 * way ADX validates `.create-or-alter function` and materialized-view bodies at creation time.
 */
import * as path from 'node:path';

/** Kusto.Language objects: Bridge.NET JavaScript with no type declarations (see eslint.config.mjs). */
type Bridged = any;

export interface KqlDiagnostic {
  severity: string;
  code: string;
  message: string;
  /** The text the diagnostic points at, with a little context. */
  at: string;
}

let language: Bridged;

/** The Kusto.Language namespace (Bridge.NET scripts define globals; loaded once per test file). */
export function kustoLanguage(): Bridged {
  if (!language) {
    const dir = path.dirname(require.resolve('@kusto/language-service-next/package.json'));
    require(path.join(dir, 'bridge.min.js'));
    require(path.join(dir, 'Kusto.Language.Bridge.min.js'));
    language = (globalThis as Bridged).Kusto.Language;
  }
  return language;
}

function listOf<T>(bridged: Bridged): T[] {
  const out: T[] = [];
  for (let i = 0; i < bridged.Count; i++) out.push(bridged.getItem(i));
  return out;
}

/** Parses and analyzes `text` against `globals`; returns every diagnostic (errors and warnings). */
export function analyze(text: string, globals: Bridged): { diagnostics: KqlDiagnostic[]; code: Bridged } {
  const code = kustoLanguage().KustoCode.ParseAndAnalyze(text, globals);
  const diagnostics = listOf<Bridged>(code.GetDiagnostics()).map((d) => ({
    severity: String(d.Severity),
    code: String(d.Code),
    message: String(d.Message),
    at: text.slice(Math.max(0, d.Start - 20), d.Start + Math.max(d.Length, 1) + 20),
  }));
  return { diagnostics, code };
}

/** Script blocks as the ADX web UI runs them: separated by blank lines; comment-only blocks dropped. */
export function scriptBlocks(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter((b) => b.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('//')));
}

export interface ReplayedCommand {
  file: string;
  command: string;
  diagnostics: KqlDiagnostic[];
}

export interface AdxSchema {
  tables: Map<string, string>;
  views: Map<string, string>;
  functions: Map<string, { parameters: string; body: string }>;
  commands: ReplayedCommand[];
  /** Kusto GlobalState with the database `demand` holding everything the scripts created. */
  globals: Bridged;
}

const normalisedColumns = (list: string): string =>
  list
    .split(',')
    .map((c) =>
      c
        .trim()
        .replace(/^(?:\['(\w+)'\]|(\w+))\s*:\s*/, (_m, quoted: string | undefined, bare: string | undefined) => `['${quoted ?? bare}']:`),
    )
    .join(', ');

/** Columns of a tabular result as a Kusto schema string, e.g. "(sku:string, day:datetime)". */
export function resultSchema(code: Bridged): string {
  const columns = listOf<Bridged>(code.ResultType.Columns).map((c) => `['${c.Name}']:${c.Type.Name}`);
  return `(${columns.join(', ')})`;
}

/** A GlobalState whose database `demand` has these tables, views and functions. */
export function globalsFor(schema: Pick<AdxSchema, 'tables' | 'views' | 'functions'>): Bridged {
  const K = kustoLanguage();
  const S = K.Symbols;
  const members = [
    ...[...schema.tables].map(([name, cols]) => new S.TableSymbol.$ctor7(name, cols, null)),
    ...[...schema.views].map(([name, cols]) => new S.MaterializedViewSymbol.$ctor3(name, cols, null, null)),
    ...[...schema.functions].map(([name, f]) => new S.FunctionSymbol.$ctor16(name, f.parameters, f.body, null)),
  ];
  return K.GlobalState.Default.WithDatabase(new S.DatabaseSymbol.$ctor1('demand', members, false));
}

/**
 * Replays the scripts in order (file name order, then command order). Each command is analyzed
 * against what the commands before it created; then its effect is applied to the schema.
 */
export function replayScripts(files: Array<{ file: string; text: string }>): AdxSchema {
  const schema: Omit<AdxSchema, 'globals'> = { tables: new Map(), views: new Map(), functions: new Map(), commands: [] };
  const globalsOf = () => globalsFor(schema);
  for (const { file, text } of [...files].sort((a, b) => a.file.localeCompare(b.file))) {
    for (const command of scriptBlocks(text)) {
      const globals = globalsOf();
      schema.commands.push({ file, command, diagnostics: analyze(command, globals).diagnostics });
      const uncommented = command
        .split('\n')
        .filter((l) => !l.trim().startsWith('//'))
        .join('\n');
      const table = /^\.create-merge table (\w+) \(([\s\S]*?)\)\s*(?:with \([\s\S]*\))?$/.exec(uncommented);
      if (table) {
        const columns = normalisedColumns(table[2]!);
        const existing = schema.tables.get(table[1]!);
        schema.tables.set(table[1]!, existing ? `(${existing.slice(1, -1)}, ${columns})` : `(${columns})`);
        continue;
      }
      const view = /materialized-view[\s\S]*?\)\s*(\w+) on table \w+\s*\{([\s\S]*)\}\s*$/.exec(uncommented);
      if (view) {
        const analysed = analyze(view[2]!, globals);
        if (analysed.code.ResultType?.Columns) schema.views.set(view[1]!, resultSchema(analysed.code));
        continue;
      }
      const fn = /^\.create-or-alter function[\s\S]*?\)\s*\n(\w+)(\([^)]*\))\s*(\{[\s\S]*\})\s*$/.exec(uncommented);
      if (fn) schema.functions.set(fn[1]!, { parameters: fn[2]!, body: fn[3]! });
    }
  }
  return { ...schema, globals: globalsOf() };
}
