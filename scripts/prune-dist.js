#!/usr/bin/env node
'use strict';
// Removes compiled files in dist/ whose TypeScript source is gone. tsc never deletes what it
// wrote before, and node resolves a leftover dist/x/store.js ahead of a new dist/x/store/index.js,
// so a module moved into a folder would otherwise keep running its old code after `npm run build`.
const { existsSync, readdirSync, rmSync, rmdirSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist');
const COMPILED = /\.(d\.ts|js)(\.map)?$/;
const SOURCE_FOLDERS = ['sdk', 'brokers', 'platform', 'cli', 'examples', 'bench'];

/** Returns whether the folder is empty after pruning, so that emptied folders go too. */
function prune(folder) {
  let left = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (prune(path)) rmdirSync(path);
      else left += 1;
      continue;
    }
    if (!COMPILED.test(entry.name)) {
      left += 1;
      continue;
    }
    const source = join(root, relative(dist, path)).replace(COMPILED, '.ts');
    if (existsSync(source)) left += 1;
    else rmSync(path);
  }
  return left === 0;
}

for (const folder of SOURCE_FOLDERS) {
  const compiled = join(dist, folder);
  if (existsSync(compiled) && prune(compiled)) rmdirSync(compiled);
}
