'use strict';
// Lets a plain `node` child process load the TypeScript sources, the way ts-jest does inside jest:
// transpile only, no type check. Used to run a cell in a process the test can SIGKILL.
const fs = require('node:fs');
const ts = require('typescript');

const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };

require.extensions['.ts'] = (loadingModule, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  loadingModule._compile(outputText, filename);
};
