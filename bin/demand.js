#!/usr/bin/env node
'use strict';
// The compiled CLI (npm run build writes dist/). `npm start` builds first.
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('demand: the CLI is not built yet; run `npm run build` (npm start does it for you)\n');
  process.exit(1);
}
require(entry)
  .main(process.argv)
  .then(() => {
    // Worker pools and servers are closed by the commands; exit with the code they set.
    process.exit(process.exitCode ?? 0);
  });
