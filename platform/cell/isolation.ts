import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NetworkTools } from './app-network';
import { runCommand } from './run-command';
import type { IsolationMode, IsolationRequest } from './types';

/** Absolute paths of the programs the namespace launcher runs, all on the host side of the container. */
export interface NamespaceTools {
  unshare: string;
  /** The shell that runs the set-up script. */
  shell: string;
  /** The cell's own helper (platform/cell/native/osbkit-contain.c): race-free volume mounts and entering the container. */
  contain: string;
  network: NetworkTools;
}

export type ResolvedIsolation = { mode: 'namespaces'; tools: NamespaceTools } | { mode: Extract<IsolationMode, 'none'> };

const SEARCH_DIRECTORIES = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'];
export const CONTAIN_HELPER_NAME = 'osbkit-contain';

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

/**
 * Where `npm run build` puts the helper: dist/native under the package root, found by walking up
 * from this module (it runs from dist/platform/cell when built, from platform/cell under ts-jest).
 */
export function defaultContainHelperPath(): string {
  let directory = __dirname;
  while (!existsSync(join(directory, 'package.json')) && dirname(directory) !== directory) directory = dirname(directory);
  return join(directory, 'dist', 'native', CONTAIN_HELPER_NAME);
}

async function findNamespaceTools(containHelper: string): Promise<{ tools?: NamespaceTools; missing: string[] }> {
  const names = ['unshare', 'sh', 'ip', 'nft', 'nsenter', 'sysctl'] as const;
  const found = await Promise.all(names.map((name) => findProgram(name)));
  const missing: string[] = names.filter((_name, position) => found[position] === undefined);
  const contain = await access(containHelper, constants.X_OK).then(
    () => containHelper,
    () => undefined,
  );
  if (contain === undefined) missing.push(`${containHelper} (built by "npm run build", which needs a C compiler)`);
  const [unshare, shell, ip, nft, nsenter, sysctl] = found;
  if (unshare === undefined || shell === undefined || ip === undefined || nft === undefined || nsenter === undefined || sysctl === undefined || contain === undefined) {
    return { missing };
  }
  return { tools: { unshare, shell, contain, network: { ip, nft, nsenter, sysctl } }, missing };
}

/**
 * 'auto' means namespaces whenever they are possible (root on Linux). A root cell that lacks a tool,
 * or a kernel that refuses user namespaces, fails loudly instead of silently running apps without isolation.
 */
export async function resolveIsolation(requested: IsolationRequest, containHelper = defaultContainHelperPath()): Promise<ResolvedIsolation> {
  if (requested === 'none') return { mode: 'none' };
  if (!runsAsRootOnLinux()) {
    if (requested === 'namespaces') throw new Error('isolation "namespaces" needs a cell running as root on Linux');
    return { mode: 'none' };
  }
  const { tools, missing } = await findNamespaceTools(containHelper);
  if (tools === undefined) {
    throw new Error(`isolation "namespaces" needs ${missing.join(', ')} (apt-get install -y util-linux iproute2 nftables procps gcc), or choose isolation "none"`);
  }
  const probe = await runCommand(tools.contain, ['probe']);
  if (probe.exitCode !== 0) {
    throw new Error(`isolation "namespaces" runs apps in user namespaces, which this kernel refuses: ${probe.stderr.trim() || `exit ${probe.exitCode}`}`);
  }
  return { mode: 'namespaces', tools };
}
