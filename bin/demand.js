#!/usr/bin/env node
'use strict';
// The compiled CLI (npm run build writes dist/). `npm start` builds first.
const path = require('node:path');
const fs = require('node:fs');
const dist = path.join(__dirname, '..', 'dist', 'src');
const entry = path.join(dist, 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('demand: the CLI is not built yet; run `npm run build` (npm start does it for you)\n');
  process.exit(1);
}
// On glibc Linux the CLI runs with the malloc settings the Azure app settings set (docs/settings.md,
// "Process memory"): started without them, it starts itself once more with them (DEMAND_MEMORY_TUNING=off: not).
const tuning = require(path.join(dist, 'host', 'memoryTuning.js'));
const relaunchEnv = tuning.relaunchEnvironment(tuning.currentLaunchFacts());
const done = relaunchEnv
  ? tuning.relaunch(relaunchEnv).then((code) => {
      process.exitCode = code;
    })
  : // Worker pools and servers are closed by the commands; exit with the code they set.
    (tuning.endWithParent(), require(entry).main(process.argv));
done.then(() => process.exit(process.exitCode ?? 0));
