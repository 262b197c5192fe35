import { join } from 'node:path';
import type { Logger } from 'pino';
import { SqliteStore, type ServiceBroker, type StateStore } from '../sdk';
import { LOCAL_CATALOG_PATH, LocalVolumeBroker } from '../brokers/local/broker';
import { createMysqlBroker, mysqlBrokerConfigFromEnv, mysqlCatalogPath } from '../brokers/mysql';
import { createNfsBroker, nfsBrokerConfig, nfsCatalogPath, nfsConfiguredInEnv } from '../brokers/nfs';
import { createEfsBroker, efsBrokerConfig, efsCatalogPath, type EfsBrokerConfig } from '../brokers/efs';
import { homePath } from './home';

/**
 * The brokers this CLI can run. This file is the one place where brokers are wired to a
 * process; the platform never imports them.
 */
export interface BundledBroker {
  catalog: string;
  broker: ServiceBroker;
  store: StateStore;
  /** Extra work started with the broker (e.g. the MySQL quota enforcer). */
  close?: () => Promise<void>;
}

export interface BrokerFlags {
  volumesRoot?: string;
  stateDir?: string;
  /** NFS broker: share rules and the managed share; the environment fills in what is not given. */
  allowedShares?: string;
  managedShare?: string;
  /** EFS broker: region, subnets, security groups, endpoint, NFS export; the environment fills in what is not given. */
  efs?: Pick<EfsBrokerConfig, 'region' | 'subnetIds' | 'securityGroupIds' | 'endpoint' | 'nfsExport'>;
}

export const BUNDLED_BROKER_NAMES = ['local', 'mysql', 'nfs', 'efs'] as const;

/**
 * The brokers `osbkit up` runs when none are named: MySQL only when a server is configured,
 * NFS only when OSBKIT_NFS_ALLOWED_SHARES or OSBKIT_NFS_MANAGED_SHARE is set.
 */
export function defaultBrokerNames(): string[] {
  return ['local', ...(process.env.MYSQL_URL ? ['mysql'] : []), ...(nfsConfiguredInEnv() ? ['nfs'] : [])];
}

export async function bundledBroker(name: string, flags: BrokerFlags, logger: Logger): Promise<BundledBroker> {
  const stateDir = flags.stateDir ?? homePath('brokers', name);
  switch (name) {
    case 'local':
      return {
        catalog: LOCAL_CATALOG_PATH,
        broker: new LocalVolumeBroker({ volumesRoot: flags.volumesRoot ?? homePath('volumes', 'local') }),
        store: new SqliteStore({ path: join(stateDir, 'state.db') }),
      };
    case 'mysql': {
      const handle = createMysqlBroker(mysqlBrokerConfigFromEnv(), logger);
      handle.startQuotaEnforcer();
      return {
        catalog: mysqlCatalogPath,
        broker: handle.broker,
        // Without the MySQL store the broker's state is local to this machine.
        store: handle.store ?? new SqliteStore({ path: join(stateDir, 'state.db') }),
        close: () => handle.close(),
      };
    }
    case 'nfs':
      return {
        catalog: nfsCatalogPath,
        broker: createNfsBroker(nfsBrokerConfig({ allowedShares: flags.allowedShares, managedShare: flags.managedShare })),
        store: new SqliteStore({ path: join(stateDir, 'state.db') }),
      };
    case 'efs':
      return {
        catalog: efsCatalogPath,
        broker: createEfsBroker(efsBrokerConfig(flags.efs ?? {})),
        store: new SqliteStore({ path: join(stateDir, 'state.db') }),
      };
    default:
      throw new Error(`Unknown broker "${name}". Bundled brokers: ${BUNDLED_BROKER_NAMES.join(', ')}.`);
  }
}
