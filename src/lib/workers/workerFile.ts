import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The file a worker thread loads for `<dir>/<baseName>`. Compiled builds load the .js directly.
 * From TypeScript sources (ts-jest, ts-node) worker threads cannot load .ts files, so a tiny
 * bootstrap transpiles them on the fly with the TypeScript compiler (a dev dependency).
 */
export function workerFilename(dir: string, baseName: string): { filename: string; cleanup: () => void } {
  const compiled = path.join(dir, `${baseName}.js`);
  if (fs.existsSync(compiled)) return { filename: compiled, cleanup: () => undefined };
  const source = path.join(dir, `${baseName}.ts`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `${baseName}-`));
  const bootstrap = path.join(scratch, 'bootstrap.js');
  fs.writeFileSync(
    bootstrap,
    `const fs = require('fs');
const ts = require(${JSON.stringify(require.resolve('typescript'))});
require.extensions['.ts'] = function (module, filename) {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  module._compile(out, filename);
};
module.exports = require(${JSON.stringify(source)});
`,
  );
  return { filename: bootstrap, cleanup: () => fs.rmSync(scratch, { recursive: true, force: true }) };
}
