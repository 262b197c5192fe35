import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../../sdk';
import { parseNfsUrl, ShareAllowList, ShareRuleError } from '../../sdk/volume';
import { NFS_DRIVER_DEFAULTS, NFS_DRIVER_NAME, nfsDriverProblem, startNfsDriver } from '../../platform/drivers/nfs/main';
import { homePath } from '../home';
import { stopOnSignals } from '../lifetime';
import type { Supervisor } from '../supervisor';

/**
 * `osbkit driver nfs`, and how `osbkit up` runs it. The cell-side allow-list comes from
 * --allowed-shares, else OSBKIT_NFS_DRIVER_ALLOWED_SHARES, else (one machine, one operator)
 * from what the bundled NFS broker is configured with: OSBKIT_NFS_ALLOWED_SHARES and the
 * directory of OSBKIT_NFS_MANAGED_SHARE with everything below it.
 */

export function nfsDriverAllowedShares(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined) return flag;
  const own = env.OSBKIT_NFS_DRIVER_ALLOWED_SHARES?.trim();
  if (own) return own;
  const rules = (env.OSBKIT_NFS_ALLOWED_SHARES ?? '').split(',').map((rule) => rule.trim()).filter(Boolean);
  const managed = env.OSBKIT_NFS_MANAGED_SHARE?.trim();
  if (managed) {
    const url = parseNfsUrl(managed);
    const host = url.host.includes(':') ? `[${url.host}]` : url.host;
    rules.push(`${host}${url.path === '/' ? '' : url.path}/**`);
  }
  return rules.join(',');
}

function seconds(name: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isFinite(number) || number <= 0) throw new Error(`${name} must be a positive number of seconds, got ${JSON.stringify(value)}.`);
    return Math.round(number * 1000);
  };
}

function id(name: string): (value: string) => number {
  return (value) => {
    if (!/^[1-9]\d{0,9}$/.test(value) || Number(value) > 0xffff_fffe) throw new Error(`${name} must be a uid or gid from 1 to 4294967294, got ${JSON.stringify(value)}.`);
    return Number(value);
  };
}

interface NfsDriverFlags {
  mountRoot?: string;
  state?: string;
  listen?: string;
  specDir?: string;
  allowedShares?: string;
  appUid: number;
  appGid: number;
  mountTimeout: number;
  opTimeout: number;
  portmapPort?: number;
  mounter: string;
}

export function registerNfsDriverCommand(driver: Command): void {
  driver
    .command('nfs')
    .description(`Run the NFS volume driver (${NFS_DRIVER_NAME}); started by "osbkit up"`)
    .option('--allowed-shares <rules>', 'comma-separated server/path rules of the shares this cell mounts (the NFS broker\'s syntax); default: OSBKIT_NFS_DRIVER_ALLOWED_SHARES, else the NFS broker\'s OSBKIT_NFS_ALLOWED_SHARES and OSBKIT_NFS_MANAGED_SHARE')
    .option('--mount-root <dir>', 'where mount points are made (default: $OSBKIT_HOME/drivers/nfs/mounts)')
    .option('--state <file>', `where the driver keeps its volumes and mounts (default: $OSBKIT_HOME/drivers/${NFS_DRIVER_NAME}-state.json)`)
    .option('--listen <address>', 'unix socket path or http://127.0.0.1:PORT')
    .option('--spec-dir <dir>', 'the drivers directory the cell discovers drivers in')
    .option('--app-uid <uid>', 'the uid apps run as on the cell: files of the bound uid appear as theirs', id('--app-uid'), NFS_DRIVER_DEFAULTS.appUid)
    .option('--app-gid <gid>', 'the gid apps run as on the cell', id('--app-gid'), NFS_DRIVER_DEFAULTS.appGid)
    .option('--mount-timeout <seconds>', 'how long one mount may take', seconds('--mount-timeout'), NFS_DRIVER_DEFAULTS.mountTimeoutMs)
    .option('--op-timeout <seconds>', 'a file operation the server does not answer within this fails with EIO', seconds('--op-timeout'), NFS_DRIVER_DEFAULTS.opTimeoutMs)
    .option('--portmap-port <port>', 'the NFS servers\' portmapper port (FUSE mounts)', (value) => Number(value))
    .option('--mounter <which>', 'auto (kernel NFS where the kernel has it, else FUSE), fuse or kernel', 'auto')
    .action(async (flags: NfsDriverFlags) => {
      if (!['auto', 'fuse', 'kernel'].includes(flags.mounter)) throw new Error(`--mounter must be auto, fuse or kernel, not ${JSON.stringify(flags.mounter)}.`);
      let allowedShares: ShareAllowList;
      try {
        allowedShares = ShareAllowList.parse(nfsDriverAllowedShares(flags.allowedShares));
      } catch (error) {
        if (error instanceof ShareRuleError) throw new Error(`The NFS driver's --allowed-shares is invalid: ${error.message}.`);
        throw error;
      }
      const logger = createLogger({ name: NFS_DRIVER_NAME });
      const stateFile = flags.state ?? homePath('drivers', `${NFS_DRIVER_NAME}-state.json`);
      const running = await startNfsDriver({
        mountRoot: flags.mountRoot ?? homePath('drivers', 'nfs', 'mounts'),
        stateFile,
        mountLogFile: join(dirname(stateFile), `${NFS_DRIVER_NAME}-mounts.log`),
        listen: flags.listen ?? `unix://${homePath('drivers', `${NFS_DRIVER_NAME}.sock`)}`,
        specDir: flags.specDir ?? homePath('voldrivers'),
        allowedShares,
        appUid: flags.appUid,
        appGid: flags.appGid,
        mountTimeoutMs: flags.mountTimeout,
        opTimeoutMs: flags.opTimeout,
        mounters: flags.mounter === 'fuse' ? 'fuse' : flags.mounter === 'kernel' ? 'kernel' : 'auto',
        ...(flags.portmapPort !== undefined && { portmapPort: flags.portmapPort }),
        logger,
      });
      process.send?.({ ready: running.address });
      // A stop releases every mount, as Cloud Foundry's drain does; a crash leaves them to the next run.
      stopOnSignals(() => running.close({ unmountAll: true }));
    });
}

/**
 * Starts the NFS driver under `osbkit up` when this machine can mount NFS; otherwise says why
 * and goes on without it (apps bound to NFS volumes then cannot start here).
 */
export async function startNfsDriverPart(supervisor: Supervisor, home: string, driversDir: string, say: (line: string) => void): Promise<void> {
  const problem = nfsDriverProblem();
  if (problem !== undefined) {
    say(`  volume driver  ${NFS_DRIVER_NAME} not started: ${problem}. Apps bound to NFS volumes cannot start on this cell.`);
    return;
  }
  const address = await supervisor.start({
    name: NFS_DRIVER_NAME,
    args: ['driver', 'nfs', '--mount-root', join(home, 'drivers', 'nfs', 'mounts'), '--state', join(home, 'drivers', `${NFS_DRIVER_NAME}-state.json`), '--listen', `unix://${join(home, 'drivers', `${NFS_DRIVER_NAME}.sock`)}`, '--spec-dir', driversDir],
  });
  const rules = nfsDriverAllowedShares(undefined);
  say(`  volume driver  ${NFS_DRIVER_NAME} at ${address} (allowed shares: ${rules || 'none; set OSBKIT_NFS_DRIVER_ALLOWED_SHARES or the NFS broker\'s variables'})`);
}
