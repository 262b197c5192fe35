import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { createBroker, createLogger } from '../../sdk';
import { bundledBroker } from '../bundled-brokers';
import { stopOnSignals } from '../lifetime';

function positive(value: number, flag: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} must be a positive number of milliseconds.`);
  return value;
}

/** --async and --delay: every operation answers 202 and lasts at least the delay (see sdk/async-mode.ts). */
function asyncModeOption(options: { async?: boolean; delay?: string }): { asyncMode?: { delaySeconds: number } } {
  if (options.delay !== undefined && !options.async) throw new Error('--delay needs --async.');
  if (!options.async) return {};
  const delaySeconds = options.delay === undefined ? 0 : Number(options.delay);
  if (options.delay !== undefined && (options.delay.trim() === '' || !Number.isFinite(delaySeconds) || delaySeconds < 0 || delaySeconds > 3600)) {
    throw new Error(`--delay must be a number of seconds from 0 to 3600, not ${JSON.stringify(options.delay)}.`);
  }
  return { asyncMode: { delaySeconds } };
}

/** `osbkit broker NAME`: one broker, on its own, for a platform to register. */
export function registerBrokerRunCommand(program: Command): void {
  program
    .command('broker')
    .description('Run one bundled broker on its own (register it with "cf create-service-broker")')
    .argument('<name>', 'local, mysql (reads MYSQL_URL), nfs or efs')
    .requiredOption('--port <n>', 'port to listen on', (v) => Number(v))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--username <user>', 'basic-auth user the platform must send (or OSBKIT_BROKER_USERNAME)')
    .option('--password <pass>', 'basic-auth password (or OSBKIT_BROKER_PASSWORD)')
    .option('--state-dir <dir>', 'where the broker keeps its state (default: $OSBKIT_HOME/brokers/NAME)')
    .option('--volumes-root <dir>', 'local broker: the directory holding the volumes')
    .option('--allowed-shares <rules>', 'nfs broker: comma-separated server/path rules the Existing plan accepts, * within a path segment or a whole server label, ** for any depth, e.g. 10.0.0.5/exports/* (or OSBKIT_NFS_ALLOWED_SHARES)')
    .option('--managed-share <url>', 'nfs broker: nfs://server/export/path the Managed plan makes a directory per instance in (or OSBKIT_NFS_MANAGED_SHARE)')
    .option('--region <region>', 'efs broker: the AWS region (or OSBKIT_EFS_REGION, or AWS_REGION)')
    .option('--subnet-ids <ids>', 'efs broker: comma-separated subnets, a mount target in each (or OSBKIT_EFS_SUBNET_IDS)')
    .option('--security-group-ids <ids>', 'efs broker: comma-separated security groups of the mount targets, letting the cells reach TCP 2049 (or OSBKIT_EFS_SECURITY_GROUP_IDS)')
    .option('--endpoint <url>', 'efs broker: another EFS endpoint, such as osbkit efs-emulator (or OSBKIT_EFS_ENDPOINT)')
    .option('--nfs-export <url>', 'efs broker, with the emulator: nfs://host/path of the NFS export holding its backing directory (or OSBKIT_EFS_NFS_EXPORT)')
    .option('--metrics', 'serve Prometheus metrics at /metrics')
    .option('--catalog <file>', 'serve this catalog (YAML or JSON) instead of the bundled one, e.g. from a Kubernetes ConfigMap; keep the offering\'s and plans\' names and ids the broker knows')
    .option('--async', 'answer every provision, update, deprovision, bind and unbind asynchronously (202, then last_operation): a test target for platforms')
    .option('--delay <seconds>', 'with --async: how long each operation stays in progress before the broker does it (default 0)')
    .option('--lease-ms <ms>', 'how long an operation stays claimed by a replica that stopped renewing it', (v) => Number(v), 30_000)
    .option('--scan-ms <ms>', 'how often to look for operations a dead replica left unfinished', (v) => Number(v), 15_000)
    .addHelpText('after', '\nThe nfs broker needs --allowed-shares, --managed-share or both; see brokers/nfs/README.md.\n  osbkit broker nfs --port 8080 --allowed-shares \'10.0.0.5/exports/*\' --managed-share nfs://10.0.0.5/exports/managed' +
      '\nThe efs broker needs --region, --subnet-ids and --security-group-ids; AWS credentials come from the default chain (AWS_ACCESS_KEY_ID, profiles, instance roles); see brokers/efs/README.md.\n  osbkit broker efs --port 8080 --region us-east-1 --subnet-ids subnet-0a1b2c3d4e5f60708,subnet-0b1c2d3e4f5a60718 --security-group-ids sg-0c1d2e3f4a5b60728')
    .action(async (name: string, options: { port: number; host: string; username?: string; password?: string; stateDir?: string; volumesRoot?: string; allowedShares?: string; managedShare?: string; region?: string; subnetIds?: string; securityGroupIds?: string; endpoint?: string; nfsExport?: string; metrics?: boolean; catalog?: string; async?: boolean; delay?: string; leaseMs: number; scanMs: number }) => {
      const username = options.username ?? process.env.OSBKIT_BROKER_USERNAME;
      const password = options.password ?? process.env.OSBKIT_BROKER_PASSWORD;
      if (!username || !password) {
        throw new Error('A broker needs credentials: pass --username and --password, or set OSBKIT_BROKER_USERNAME and OSBKIT_BROKER_PASSWORD.');
      }
      if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be a port number.');
      const asyncMode = asyncModeOption(options);
      if (options.catalog !== undefined && !existsSync(options.catalog)) throw new Error(`--catalog ${options.catalog}: there is no such file.`);
      const logger = createLogger({ name: `broker-${name}` });
      const { stateDir, volumesRoot, allowedShares, managedShare, region, subnetIds, securityGroupIds, endpoint, nfsExport } = options;
      const efs = { region, subnetIds, securityGroupIds, endpoint, nfsExport };
      const bundled = await bundledBroker(name, { stateDir, volumesRoot, allowedShares, managedShare, efs }, logger);
      const app = createBroker({
        catalog: options.catalog ?? bundled.catalog,
        broker: bundled.broker,
        store: bundled.store,
        auth: { username, password },
        logger,
        metrics: options.metrics === true,
        engine: { leaseMs: positive(options.leaseMs, '--lease-ms'), scanIntervalMs: positive(options.scanMs, '--scan-ms') },
        ...asyncMode,
      });
      const { url } = await app.listen(options.port, options.host);
      logger.info({ url, broker: name, ...(asyncMode.asyncMode ? { asyncDelaySeconds: asyncMode.asyncMode.delaySeconds } : {}) }, 'broker listening');
      process.send?.({ ready: url });
      stopOnSignals(async () => {
        // Stops the server too, after the answers under way have gone.
        await app.close();
        await bundled.close?.();
      });
    });
}
