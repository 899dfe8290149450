#!/usr/bin/env node
/* Lists the import edges of src/ that run back up the layers (a lower layer importing a higher one),
 * imports of an adapter from anywhere but another adapter or the composition root, and Azure SDK
 * imports below the orchestrators, using TypeScript's own import scanner. docs/architecture.md
 * draws the layers. Usage: node scripts/layers.js [--json] [--src <dir>]
 * Exit code 1 when there is any back-up edge, so CI and a test can hold the line. */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
// --src <dir> checks another tree laid out like src/ (the layer test's fixtures).
const srcArg = process.argv.indexOf('--src');
const src = srcArg > 0 && process.argv[srcArg + 1] ? path.resolve(process.argv[srcArg + 1]) : path.join(root, 'src');

/** Layers, lowest first: a file may import its own layer or any lower one. The first matching prefix wins. */
const layers = [
  ['errors', ['lib/errors/']],
  ['kernel', ['lib/config/', 'lib/workers/']],
  ['ports', ['lib/lake/lakeStore', 'lib/tables/entityStore', 'lib/delta/', 'lib/tables/', 'lib/lake/']],
  ['domain', ['lib/']],
  ['contracts', ['contracts/']],
  ['activities', ['activities/']],
  ['orchestrators', ['orchestrators/']],
  // Adapters live beside their ports (lake/, tables/, tracking/, publish/) but sit above everything that
  // runs through a port: only the composition root (and tests) may import them.
  [
    'adapters',
    [
      'lib/azure/',
      'lib/lake/azureDataLake',
      'lib/lake/fileSystemLake',
      'lib/tables/azureEntityStore',
      'lib/tables/embeddedEntityStore',
      'lib/tracking/mlflowTracker',
      'lib/tracking/databricksAuth',
      'lib/tracking/tablesTracker',
      'lib/publish/adxPublisher',
      'lib/publish/adxQueries',
      'lib/publish/kustoIngestTypes',
      'lib/publish/localPublisher',
    ],
  ],
  ['composition', ['composition/']],
  ['entry', ['functions/', 'host/', 'cli/']],
];

function layerOf(rel) {
  let best;
  for (let i = 0; i < layers.length; i++) {
    for (const prefix of layers[i][1]) {
      if (rel.startsWith(prefix) && (!best || prefix.length > best.prefix.length)) best = { index: i, prefix };
    }
  }
  return best ? best.index : layers.length;
}

function walk(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

function resolveImport(fromFile, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), `${base}.d.ts`]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Azure SDK packages, and the layers that must not import them (only adapters, the composition root and the entry points may). */
const azureSdk = /^(@azure\/|azure-kusto-|durable-functions$)/;
const sdkFreeLayers = new Set(['errors', 'kernel', 'ports', 'domain', 'contracts', 'activities']);

const edges = [];
// Sorted, so the listing reads the same on every file system.
for (const file of walk(src).sort()) {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  for (const ref of info.importedFiles) {
    const from = path.relative(src, file);
    if (azureSdk.test(ref.fileName)) {
      // The domain and everything that runs through a port stays free of Azure SDK types (GUIDE: "no Azure types").
      const fromName = layers[layerOf(from)]?.[0] ?? 'other';
      if (sdkFreeLayers.has(fromName)) edges.push({ from, to: ref.fileName, fromLayer: fromName, toLayer: 'azure-sdk' });
      continue;
    }
    const target = resolveImport(file, ref.fileName);
    if (!target) continue;
    const to = path.relative(src, target);
    const fromLayer = layerOf(from);
    const toLayer = layerOf(to);
    const fromName = layers[fromLayer]?.[0] ?? 'other';
    const toName = layers[toLayer]?.[0] ?? 'other';
    // Above the composition root too, adapters are reached through it (one place builds them), never imported directly.
    const bypassesComposition = toName === 'adapters' && fromName !== 'adapters' && fromName !== 'composition';
    if (toLayer > fromLayer || bypassesComposition) edges.push({ from, to, fromLayer: fromName, toLayer: toName });
  }
}

if (process.argv.includes('--json')) console.log(JSON.stringify(edges, null, 2));
else {
  for (const e of edges) console.log(`${e.from} (${e.fromLayer}) -> ${e.to} (${e.toLayer})`);
  console.log(`${edges.length} back-up edge(s)`);
}
process.exitCode = edges.length > 0 ? 1 : 0;
