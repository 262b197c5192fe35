import type { Logger } from 'pino';
import type { ServiceBroker } from '../broker';
import type { Catalog } from '../catalog/catalog';
import type { OperationMetrics } from '../metrics';
import type { StateStore } from '../store/types';
import type { EngineContext, EngineOptions } from './context';
import { bindSteps } from './operations/bind';
import { deprovisionSteps } from './operations/deprovision';
import { provisionSteps } from './operations/provision';
import { unbindSteps } from './operations/unbind';
import { updateSteps } from './operations/update';
import { Runner } from './runner';
import { Targets } from './targets';

export type { EngineOptions };

/**
 * The SDK's side of every OSB request that changes or reads state: one broker's store,
 * catalog and methods, and the runner that drives their operations. Each operation is a
 * module of its own in operations/, which a handler calls with this engine; what the
 * operations decide comes back as typed outcomes, and only the handlers know HTTP.
 */
export class Engine implements EngineContext {
  readonly runner: Runner;
  readonly targets: Targets;

  constructor(
    readonly store: StateStore,
    readonly catalog: Catalog,
    readonly broker: ServiceBroker,
    readonly logger: Logger,
    readonly options: EngineOptions,
    metrics?: OperationMetrics,
  ) {
    const steps = { provision: provisionSteps, update: updateSteps, deprovision: deprovisionSteps, bind: bindSteps, unbind: unbindSteps };
    this.targets = new Targets(store, steps, { broker, catalog, store, logger });
    this.runner = new Runner(store, this.targets, logger, options, metrics);
  }

  async start(): Promise<void> {
    const resumed = await this.runner.resumeOrphans();
    if (resumed > 0) this.logger.info({ resumed }, 'resumed unfinished operations');
    this.runner.startScanning();
  }

  async close(): Promise<void> {
    await this.runner.close();
  }
}
