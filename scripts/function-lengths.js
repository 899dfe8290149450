#!/usr/bin/env node
/* Lists the longest functions of src/ by line count (first line to last line of the body, inclusive),
 * using TypeScript's own parser. Usage: node scripts/function-lengths.js [count=5] [dir=src] */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const count = Number(process.argv[2] ?? 5);
const dir = path.resolve(root, process.argv[3] ?? 'src');

function walk(d, out = []) {
  for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
    const full = path.join(d, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** A readable name for a function node: its own name, the variable or property it is assigned to, or its class member name. */
function nameOf(node, sf) {
  if (node.name && ts.isIdentifier(node.name)) {
    const owner = node.parent && ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : '';
    return owner + node.name.text;
  }
  if (ts.isConstructorDeclaration(node)) return `${node.parent.name ? node.parent.name.text : '<class>'}.constructor`;
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText(sf);
  }
  return '<anonymous>';
}

const rows = [];
for (const file of walk(dir)) {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.end).line;
      rows.push({ lines: end - start + 1, name: nameOf(node, sf), where: `${path.relative(root, file)}:${start + 1}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
rows.sort((a, b) => b.lines - a.lines);
for (const r of rows.slice(0, count)) console.log(`${String(r.lines).padStart(5)}  ${r.name}  ${r.where}`);
