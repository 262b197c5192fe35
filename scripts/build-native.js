'use strict';
// Compiles the cell's C helper (platform/cell/native/osbkit-contain.c) into dist/native/. It does
// the steps of building a container that a shell cannot do safely (mounts that no symlink can
// redirect, entering a user namespace); see the comment at the top of the source. Rebuilt only
// when the source is newer than the binary.
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, statSync, renameSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const source = join(root, 'platform', 'cell', 'native', 'osbkit-contain.c');
const outputDir = join(root, 'dist', 'native');
const output = join(outputDir, 'osbkit-contain');

function upToDate() {
  return existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs;
}

if (process.platform !== 'linux') {
  process.stderr.write('build-native: not Linux; the cell will run apps without isolation\n');
} else if (!upToDate()) {
  mkdirSync(outputDir, { recursive: true });
  const compiler = process.env.CC || 'cc';
  const temporary = `${output}.${process.pid}`;
  try {
    execFileSync(compiler, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', temporary, source], { stdio: 'inherit' });
  } catch (error) {
    process.stderr.write(`build-native: cannot compile ${source} with ${compiler} (${error.message}); install a C compiler (apt-get install -y gcc)\n`);
    process.exit(1);
  }
  // Another build may run at the same time (tests build once per project); rename is atomic.
  renameSync(temporary, output);
}
