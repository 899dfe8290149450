#!/usr/bin/env node
'use strict';
// Regenerates docs/schemas/orders-source.schema.json from the zod schema (after npm run build).
const fs = require('node:fs');
const path = require('node:path');
const { ordersSourceJsonSchemaText } = require('../dist/src/lib/sources/jsonSchema');
const target = path.join(__dirname, '..', 'docs', 'schemas', 'orders-source.schema.json');
fs.writeFileSync(target, ordersSourceJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
