// A child process that takes the lake's writer lock (via the sources, transpiled like cliChild.js),
// appends "enter <id> <ms>" and "exit <id> <ms>" lines to a file around holding it, and exits.
// argv: <lakeDir> <id> <holdMs> <logFile> [waitMs]
require('./tsRequire');
const path = require('path');
const fs = require('fs');
const { FileSystemLake } = require(path.resolve(__dirname, '../../src/lib/lake/fileSystemLake.ts'));
const { withWriterLock } = require(path.resolve(__dirname, '../../src/lib/lake/writerLock.ts'));
const [lakeDir, id, holdMs, logFile, waitMs] = process.argv.slice(2);
const lake = FileSystemLake.fromDirectory(lakeDir);
withWriterLock(lake, { runId: id, activity: 'test', durationInMs: 5000, waitInMs: Number(waitMs ?? 20000), pollInMs: 50 }, async () => {
  fs.appendFileSync(logFile, `enter ${id} ${Date.now()}\n`);
  await new Promise((r) => setTimeout(r, Number(holdMs)));
  fs.appendFileSync(logFile, `exit ${id} ${Date.now()}\n`);
}).catch((err) => {
  fs.appendFileSync(logFile, `failed ${id} ${String(err.message).replace(/\n/g, ' ')}\n`);
  process.exitCode = 3;
});
