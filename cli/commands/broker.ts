import type { Command } from 'commander';
import { createBroker, createLogger } from '../../sdk';
import { bundledBroker } from '../bundled-brokers';
import { stopOnSignals } from '../lifetime';

function positive(value: number, flag: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} must be a positive number of milliseconds.`);
  return value;
}

/** `osbkit broker NAME`: one broker, on its own, for a platform to register. */
export function registerBrokerRunCommand(program: Command): void {
  program
    .command('broker')
    .description('Run one bundled broker on its own (register it with "cf create-service-broker")')
    .argument('<name>', 'local, mysql (reads MYSQL_URL) or nfs')
    .requiredOption('--port <n>', 'port to listen on', (v) => Number(v))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--username <user>', 'basic-auth user the platform must send (or OSBKIT_BROKER_USERNAME)')
    .option('--password <pass>', 'basic-auth password (or OSBKIT_BROKER_PASSWORD)')
    .option('--state-dir <dir>', 'where the broker keeps its state (default: $OSBKIT_HOME/brokers/NAME)')
    .option('--volumes-root <dir>', 'local broker: the directory holding the volumes')
    .option('--allowed-shares <rules>', 'nfs broker: comma-separated server/path rules the Existing plan accepts, * within a path segment or a whole server label, ** for any depth, e.g. 10.0.0.5/exports/* (or OSBKIT_NFS_ALLOWED_SHARES)')
    .option('--managed-share <url>', 'nfs broker: nfs://server/export/path the Managed plan makes a directory per instance in (or OSBKIT_NFS_MANAGED_SHARE)')
    .option('--metrics', 'serve Prometheus metrics at /metrics')
    .option('--lease-ms <ms>', 'how long an operation stays claimed by a replica that stopped renewing it', (v) => Number(v), 30_000)
    .option('--scan-ms <ms>', 'how often to look for operations a dead replica left unfinished', (v) => Number(v), 15_000)
    .addHelpText('after', '\nThe nfs broker needs --allowed-shares, --managed-share or both; see brokers/nfs/README.md.\n  osbkit broker nfs --port 8080 --allowed-shares \'10.0.0.5/exports/*\' --managed-share nfs://10.0.0.5/exports/managed')
    .action(async (name: string, options: { port: number; host: string; username?: string; password?: string; stateDir?: string; volumesRoot?: string; allowedShares?: string; managedShare?: string; metrics?: boolean; leaseMs: number; scanMs: number }) => {
      const username = options.username ?? process.env.OSBKIT_BROKER_USERNAME;
      const password = options.password ?? process.env.OSBKIT_BROKER_PASSWORD;
      if (!username || !password) {
        throw new Error('A broker needs credentials: pass --username and --password, or set OSBKIT_BROKER_USERNAME and OSBKIT_BROKER_PASSWORD.');
      }
      if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be a port number.');
      const logger = createLogger({ name: `broker-${name}` });
      const { stateDir, volumesRoot, allowedShares, managedShare } = options;
      const bundled = await bundledBroker(name, { stateDir, volumesRoot, allowedShares, managedShare }, logger);
      const app = createBroker({
        catalog: bundled.catalog,
        broker: bundled.broker,
        store: bundled.store,
        auth: { username, password },
        logger,
        metrics: options.metrics === true,
        engine: { leaseMs: positive(options.leaseMs, '--lease-ms'), scanIntervalMs: positive(options.scanMs, '--scan-ms') },
      });
      const { url, server } = await app.listen(options.port, options.host);
      logger.info({ url, broker: name }, 'broker listening');
      process.send?.({ ready: url });
      stopOnSignals(async () => {
        server.close();
        await app.close();
        await bundled.close?.();
      });
    });
}
