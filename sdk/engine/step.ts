import type { Logger } from 'pino';
import {
  isInProgress, type BindResult, type InProgress, type ProvisionResult, type ServiceBroker, type StepContext, type UpdateResult,
} from '../broker';
import type { Catalog } from '../catalog/catalog';
import type {
  BindOperation, BindingRecord, DeprovisionOperation, InstanceRecord, OperationRecord, ProvisionOperation, StateStore, UnbindOperation,
  UpdateOperation,
} from '../store/types';
import type { AnyRecord } from './records';

/**
 * What each kind of operation tells the runner: how one step calls the broker, and what the
 * answer makes of the record. Each module in operations/ provides one; the runner knows no kind.
 */

export interface StepDeps {
  broker: ServiceBroker;
  catalog: Catalog;
  store: StateStore;
  logger: Logger;
}

/** How a failed step is described to the platform. */
export interface Failure {
  description: string;
  instanceUsable?: boolean;
  updateRepeatable?: boolean;
}

/** `R`: the record the operation changes; `O`: its operation record; `V`: what the broker method returns when done. */
export interface OperationSteps<R extends AnyRecord, O extends OperationRecord, V> {
  /**
   * A delete: a 410 from the broker means the resource is already gone, which is success,
   * and a create this delete halted must have stopped before each step.
   */
  readonly deletes: boolean;
  /** One call of the broker method. `instance`: a binding's instance as its request just read it (see binding-instance.ts). */
  call(deps: StepDeps, record: R, op: O, context: StepContext, instance?: InstanceRecord): Promise<V | InProgress>;
  /** What is wrong with the broker's final answer; the step then fails as the broker's fault. */
  problems?(deps: StepDeps, record: R, value: V): string[];
  /** The record once the broker finished with `value`; undefined when it found the resource already gone. */
  succeeded(record: R, op: O, value: V | undefined, now: number): R;
  /** What an in-progress answer records besides the operation's own progress. */
  progressed?(record: R, progress: InProgress): R;
  failed(record: R, op: O, failure: Failure, now: number): R;
}

/** What one call of the broker method came to. */
export type StepAnswer<R extends AnyRecord> =
  /** `value` as the broker returned it; `succeeded` applies it to the record as it is stored by then. */
  | { kind: 'finished'; value: unknown; succeeded(record: R, now: number): R }
  | { kind: 'in progress'; progress: InProgress }
  | { kind: 'threw'; thrown: unknown };

/** The steps of one operation, with the operation bound: what the runner works with. */
export interface BoundSteps<R extends AnyRecord> {
  readonly deletes: boolean;
  call(record: R, context: StepContext, instance?: InstanceRecord): Promise<StepAnswer<R>>;
  gone(record: R, now: number): R;
  progressed(record: R, progress: InProgress): R;
  failed(record: R, failure: Failure, now: number): R;
}

class Bound<R extends AnyRecord, O extends OperationRecord, V> implements BoundSteps<R> {
  readonly deletes: boolean;

  constructor(
    private readonly steps: OperationSteps<R, O, V>,
    private readonly deps: StepDeps,
    private readonly op: O,
  ) {
    this.deletes = steps.deletes;
  }

  async call(record: R, context: StepContext, instance?: InstanceRecord): Promise<StepAnswer<R>> {
    let value: V | InProgress;
    try {
      value = await this.steps.call(this.deps, record, this.op, context, instance);
    } catch (thrown) {
      return { kind: 'threw', thrown };
    }
    if (isInProgress(value)) return { kind: 'in progress', progress: value };
    const problems = this.steps.problems?.(this.deps, record, value) ?? [];
    if (problems.length > 0) return { kind: 'threw', thrown: new Error(`the broker's answer is invalid: ${problems.join('; ')}`) };
    const { steps, op } = this;
    return { kind: 'finished', value, succeeded: (current, now) => steps.succeeded(current, op, value, now) };
  }

  gone(record: R, now: number): R {
    return this.steps.succeeded(record, this.op, undefined, now);
  }

  progressed(record: R, progress: InProgress): R {
    return this.steps.progressed ? this.steps.progressed(record, progress) : record;
  }

  failed(record: R, failure: Failure, now: number): R {
    return this.steps.failed(record, this.op, failure, now);
  }
}

/** Every kind's steps: what the engine hands the runner. */
export interface StepTable {
  provision: OperationSteps<InstanceRecord, ProvisionOperation, ProvisionResult | void>;
  update: OperationSteps<InstanceRecord, UpdateOperation, UpdateResult | void>;
  deprovision: OperationSteps<InstanceRecord, DeprovisionOperation, void>;
  bind: OperationSteps<BindingRecord, BindOperation, BindResult>;
  unbind: OperationSteps<BindingRecord, UnbindOperation, void>;
}

/** The steps of the operation an instance record runs. */
export function instanceSteps(table: StepTable, deps: StepDeps, record: InstanceRecord): BoundSteps<InstanceRecord> {
  const op = record.operation;
  switch (op?.kind) {
    case 'provision':
      return new Bound(table.provision, deps, op);
    case 'update':
      return new Bound(table.update, deps, op);
    case 'deprovision':
      return new Bound(table.deprovision, deps, op);
    default:
      throw new Error(`instance ${record.instanceId} runs no instance operation (${op?.kind ?? 'none'})`);
  }
}

/** The steps of the operation a binding record runs. */
export function bindingSteps(table: StepTable, deps: StepDeps, record: BindingRecord): BoundSteps<BindingRecord> {
  const op = record.operation;
  switch (op?.kind) {
    case 'bind':
      return new Bound(table.bind, deps, op);
    case 'unbind':
      return new Bound(table.unbind, deps, op);
    default:
      throw new Error(`binding ${record.bindingId} runs no binding operation (${op?.kind ?? 'none'})`);
  }
}
