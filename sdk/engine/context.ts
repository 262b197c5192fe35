import type { Logger } from 'pino';
import type { ServiceBroker } from '../broker';
import type { Catalog } from '../catalog/catalog';
import type { StateStore } from '../store/types';
import type { Runner, RunnerOptions } from './runner';
import type { Targets } from './targets';

export interface EngineOptions extends RunnerOptions {
  /** How long a request without accepts_incomplete waits for a broker that answered "in progress". */
  syncTimeoutMs: number;
  /** Retry-After when the broker gave no hint. */
  defaultRetryAfterSeconds: number;
}

/** What every operation works with: one broker's store, catalog and methods, and its runner. */
export interface EngineContext {
  readonly store: StateStore;
  readonly catalog: Catalog;
  readonly broker: ServiceBroker;
  readonly logger: Logger;
  readonly options: EngineOptions;
  readonly runner: Runner;
  readonly targets: Targets;
}
