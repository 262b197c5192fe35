import { join } from 'node:path';
import type { Logger } from 'pino';
import { SqliteStore, type ServiceBroker, type StateStore } from '../sdk';
import { LOCAL_CATALOG_PATH, LocalVolumeBroker } from '../brokers/local/broker';
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
}

export const BUNDLED_BROKER_NAMES = ['local'] as const;

export async function bundledBroker(name: string, flags: BrokerFlags, logger: Logger): Promise<BundledBroker> {
  const stateDir = flags.stateDir ?? homePath('brokers', name);
  switch (name) {
    case 'local':
      return {
        catalog: LOCAL_CATALOG_PATH,
        broker: new LocalVolumeBroker({ volumesRoot: flags.volumesRoot ?? homePath('volumes', 'local') }),
        store: new SqliteStore({ path: join(stateDir, 'state.db') }),
      };
    default:
      void logger;
      throw new Error(`Unknown broker "${name}". Bundled brokers: ${BUNDLED_BROKER_NAMES.join(', ')}.`);
  }
}
