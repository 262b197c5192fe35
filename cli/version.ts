import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * osbkit's version: package.json's, found by walking up from this file, which sits in cli/
 * when run from source and in dist/cli/ when compiled.
 */
export function osbkitVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'osbkit' && typeof manifest.version === 'string') return manifest.version;
    }
    if (dirname(dir) === dir) throw new Error(`osbkit's package.json was not found above ${from}`);
  }
}
