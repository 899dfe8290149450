/**
 * `npm run bench -- <name> [args]`: the project's benchmarks. Each prints its figures, a ratio
 * against a reference measured in the same run, and the command that reproduces it.
 * Benchmarks are never part of `npm test` (tests assert behaviour, not time).
 */
const benches: Record<string, { about: string; run: (args: string[]) => Promise<void> }> = {
  forecast: {
    about: 'forecast engine vs R forecast package (store item demand H=90; Online Retail top SKUs H=28)',
    run: async (args) => (await import('./forecast')).runForecastBench(args),
  },
  ingest: {
    about: 'Bronze ingestion of two years of Online Retail from the local orders API: lines/s and peak RSS at 1× and 4×',
    run: async (args) => (await import('./ingest')).runIngestBench(args),
  },
  silver: {
    about: 'Bronze → Silver on 1.07M order lines vs DuckDB doing the same in SQL: wall time and peak RSS',
    run: async (args) => (await import('./silver')).runSilverBench(args),
  },
  pipeline: {
    about: 'the whole pipeline on both Online Retail files through the local host: wall and peak RSS per stage, drift share, history sizes',
    run: async (args) => (await import('./pipeline')).runPipelineBench(args),
  },
  plan: {
    about: "planForecast on Online Retail: a full build's plan vs a one-day increment's, CPU and daily_demand bytes read",
    run: async (args) => (await import('./plan')).runPlanBench(args),
  },
  scale: {
    about:
      'the whole pipeline on synthetic fleets (--skus 2000,8000,32000): wall and peak RSS per stage, ratios per size, an increment run',
    run: async (args) => (await import('./scale')).runScaleBench(args),
  },
  'warm-start': {
    about: 'warm start vs full model selection on a hold-out (sample, store, synthetic fleet): WAPE, MASE, SKUs per core-second',
    run: async (args) => (await import('./warmStart')).runWarmStartBench(args),
  },
  parquet: {
    about: 'Parquet libraries (hyparquet-writer vs parquet-wasm) on a daily_demand-shaped table',
    run: async () => (await import('./parquet')).runParquetBench(),
  },
};

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  const bench = name ? benches[name] : undefined;
  if (!bench) {
    process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [args]\n`);
    for (const [key, b] of Object.entries(benches)) process.stderr.write(`  ${key.padEnd(9)} ${b.about}\n`);
    process.exitCode = name ? 2 : 0;
    return;
  }
  await bench.run(args);
}

main(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
