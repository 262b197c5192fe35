import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where a platform started by `osbkit up` keeps all of its state. */
export function osbkitHome(): string {
  const home = resolve(process.env.OSBKIT_HOME ?? join(homedir(), '.osbkit'));
  mkdirSync(home, { recursive: true });
  return home;
}

export function homePath(...parts: string[]): string {
  const path = join(osbkitHome(), ...parts);
  return path;
}
