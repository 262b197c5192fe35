'use strict';
// Lets `npm start` and `npm test` work in a fresh clone: installs dependencies when
// node_modules is missing, then brings dist/ up to date (an incremental build).
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
if (!existsSync(join(root, 'node_modules', 'typescript'))) {
  process.stderr.write('osbkit: installing dependencies (npm ci)...\n');
  execFileSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
execFileSync(process.execPath, [join(root, 'scripts', 'build-native.js')], { cwd: root, stdio: 'inherit' });
