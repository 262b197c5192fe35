'use strict';
// Integration and end-to-end suites start compiled processes (brokers, the CLI), so dist/
// must match the sources. The build is incremental, so this is quick when nothing changed.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function buildOnce() {
  if (process.env.OSBKIT_SKIP_BUILD === '1') return;
  const root = join(__dirname, '..', '..');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
    cwd: root,
  });
  execFileSync(process.execPath, [join(root, 'scripts', 'build-native.js')], { stdio: 'inherit', cwd: root });
};
