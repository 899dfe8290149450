// A script that relaunches itself with the memory settings, as bin/demand.js does (test/host/memoryTuning.test.ts).
// argv[2]: 'print' prints the relaunched process's settings and ends with code 3; 'wait' waits for a signal.
require('./tsRequire');
const path = require('path');
const tuning = require(path.resolve(__dirname, '../../src/host/memoryTuning.ts'));
const env = tuning.relaunchEnvironment({ platform: 'linux', glibcVersion: 'any', env: process.env });
if (env) {
  tuning.relaunch(env).then((code) => process.exit(code));
} else if (process.argv[2] === 'wait') {
  tuning.endWithParent();
  process.stdout.write(`${JSON.stringify({ pid: process.pid })}\n`);
  setInterval(() => undefined, 1000);
} else {
  const names = Object.keys(tuning.glibcMallocEnvironment);
  process.stdout.write(
    `${JSON.stringify({ pid: process.pid, argv: process.argv.slice(2), env: Object.fromEntries(names.map((n) => [n, process.env[n]])) })}\n`,
  );
  process.exitCode = 3;
}
