import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { IsolationMode, IsolationRequest } from './types';

/** Absolute paths of the programs the namespace launcher runs. */
export interface NamespaceTools {
  unshare: string;
  /** The shell that runs the set-up script on the host side of the chroot. */
  shell: string;
  /** The ones below run inside the chroot, which only holds the host's /usr, /etc and the merged-/usr links. */
  chroot: string;
  tini: string;
  setpriv: string;
  env: string;
}

export type ResolvedIsolation = { mode: 'namespaces'; tools: NamespaceTools } | { mode: Extract<IsolationMode, 'none'> };

const SEARCH_DIRECTORIES = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'];

async function findProgram(name: string): Promise<string | undefined> {
  for (const directory of SEARCH_DIRECTORIES) {
    const candidate = join(directory, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next directory
    }
  }
  return undefined;
}

export function runsAsRootOnLinux(): boolean {
  return process.platform === 'linux' && typeof process.getuid === 'function' && process.getuid() === 0;
}

async function findNamespaceTools(): Promise<{ tools?: NamespaceTools; missing: string[] }> {
  const names = ['unshare', 'sh', 'chroot', 'tini', 'setpriv', 'env'] as const;
  const found = await Promise.all(names.map((name) => findProgram(name)));
  const missing = names.filter((_name, position) => found[position] === undefined);
  const [unshare, shell, chroot, tini, setpriv, env] = found;
  if (unshare === undefined || shell === undefined || chroot === undefined || tini === undefined || setpriv === undefined || env === undefined) {
    return { missing };
  }
  return { tools: { unshare, shell, chroot, tini, setpriv, env }, missing };
}

/**
 * 'auto' means namespaces whenever they are possible (root on Linux). A root cell that lacks a tool
 * fails loudly instead of silently running apps without isolation.
 */
export async function resolveIsolation(requested: IsolationRequest): Promise<ResolvedIsolation> {
  if (requested === 'none') return { mode: 'none' };
  if (!runsAsRootOnLinux()) {
    if (requested === 'namespaces') throw new Error('isolation "namespaces" needs a cell running as root on Linux');
    return { mode: 'none' };
  }
  const { tools, missing } = await findNamespaceTools();
  if (tools === undefined) {
    throw new Error(`isolation "namespaces" needs ${missing.join(', ')} (install tini with: apt-get install -y tini), or choose isolation "none"`);
  }
  return { mode: 'namespaces', tools };
}
