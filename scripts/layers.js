#!/usr/bin/env node
/* Lists the import edges of src/ that run back up the layers (a lower layer importing a higher one),
 * using TypeScript's own import scanner. Usage: node scripts/layers.js [--json]
 * Exit code 1 when there is any back-up edge, so CI and a test can hold the line. */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'src');

/** Layers, lowest first: a file may import its own layer or any lower one. The first matching prefix wins. */
const layers = [
  ['errors', ['lib/errors/']],
  ['kernel', ['lib/config/', 'lib/workers/']],
  ['ports', ['lib/lake/lakeStore', 'lib/tables/entityStore', 'lib/delta/', 'lib/tables/', 'lib/lake/']],
  ['domain', ['lib/']],
  ['contracts', ['contracts/']],
  ['activities', ['activities/']],
  ['orchestrators', ['orchestrators/']],
  ['adapters', ['adapters/', 'lib/azure/']],
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

const edges = [];
for (const file of walk(src)) {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  for (const ref of info.importedFiles) {
    const target = resolveImport(file, ref.fileName);
    if (!target) continue;
    const from = path.relative(src, file);
    const to = path.relative(src, target);
    const fromLayer = layerOf(from);
    const toLayer = layerOf(to);
    if (toLayer > fromLayer)
      edges.push({ from, to, fromLayer: layers[fromLayer]?.[0] ?? 'other', toLayer: layers[toLayer]?.[0] ?? 'other' });
  }
}

if (process.argv.includes('--json')) console.log(JSON.stringify(edges, null, 2));
else {
  for (const e of edges) console.log(`${e.from} (${e.fromLayer}) -> ${e.to} (${e.toLayer})`);
  console.log(`${edges.length} back-up edge(s)`);
}
process.exitCode = edges.length > 0 ? 1 : 0;
