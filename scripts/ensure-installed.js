'use strict';
// Lets `npm start` and `npm test` work in a fresh clone: installs the system tools `osbkit up`
// needs (as root), installs the npm dependencies when node_modules is missing (whose `prepare`
// builds everything once), and otherwise brings dist/ up to date with an incremental build.
// Each step says what it does and how long it took, since a first install takes minutes.
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function say(text) {
  process.stderr.write(`osbkit: ${text}\n`);
}

function timed(label, run) {
  const started = Date.now();
  run();
  say(`${label} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.platform === 'linux') execFileSync('bash', [join(root, 'scripts', 'ensure-tools.sh')], { cwd: root, stdio: 'inherit' });

if (!existsSync(join(root, 'node_modules', 'typescript'))) {
  say('installing dependencies with npm ci; its build output follows.');
  say('better-sqlite3 compiles from source where no prebuilt binary can be downloaded (a minute or two on 2 cores), then `prepare` builds osbkit once.');
  timed('npm ci, with the build', () => {
    execFileSync(npm, ['ci', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: root, stdio: 'inherit' });
  });
} else {
  // Incremental: a few seconds when nothing changed.
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [join(root, 'scripts', 'build-native.js')], { cwd: root, stdio: 'inherit' });
}
