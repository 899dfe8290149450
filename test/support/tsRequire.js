// Lets a child process require the TypeScript sources (no build needed): .ts files are
// transpiled with the TypeScript compiler, as src/lib/workers/workerFile.ts does for workers, and
// the output is cached in the OS temp folder by path, size and mtime so repeated starts are quick.
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ts = require('typescript');
const cacheDir = path.join(os.tmpdir(), 'demand-cli-child-cache');
fs.mkdirSync(cacheDir, { recursive: true });
require.extensions['.ts'] = function (module, filename) {
  const stat = fs.statSync(filename);
  const key = crypto.createHash('sha1').update(`${filename}|${stat.size}|${stat.mtimeMs}|${ts.version}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let out;
  try {
    out = fs.readFileSync(cached, 'utf8');
  } catch {
    out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true },
    }).outputText;
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, out);
    fs.renameSync(tmp, cached);
  }
  module._compile(out, filename);
};
