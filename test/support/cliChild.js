// Runs the CLI from the TypeScript sources in a child process (no build needed; see tsRequire.js).
require('./tsRequire');
const path = require('path');
const { main } = require(path.resolve(__dirname, '../../src/cli/main.ts'));
main(process.argv).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
