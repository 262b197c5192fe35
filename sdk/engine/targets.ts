import type { BindingRecord, InstanceRecord, ReadIntent, StateStore, Versioned } from '../store/types';
import { readBindingWithInstance } from './reads';
import type { AnyRecord, TargetRef } from './records';
import { bindingSteps, instanceSteps, type BoundSteps, type StepDeps, type StepTable } from './step';

/**
 * A record the runner drives, typed by what it is: how to read and write it, and the steps
 * of the operation it runs. The runner works on any Target; an operation names its own.
 */
export interface Target<R extends AnyRecord> {
  readonly ref: TargetRef;
  load(intent?: ReadIntent): Promise<Versioned<R> | undefined>;
  /** What a step works on, in one read: the record, and a binding's instance with it. */
  loadForStep(): Promise<StepInput<R>>;
  save(record: R, expectedVersion: number | null): Promise<number | undefined>;
  steps(record: R): BoundSteps<R>;
}

export interface StepInput<R extends AnyRecord> {
  found: Versioned<R> | undefined;
  /** A binding's instance; absent for an instance's own steps. */
  instance?: InstanceRecord;
}

export type AnyTarget = Target<InstanceRecord> | Target<BindingRecord>;

/** Makes the targets of one store, each knowing the steps of every kind of operation. */
export class Targets {
  constructor(
    private readonly store: StateStore,
    private readonly table: StepTable,
    private readonly deps: StepDeps,
  ) {}

  instance(instanceId: string): Target<InstanceRecord> {
    const { store, table, deps } = this;
    return {
      ref: { type: 'instance', instanceId },
      load: (intent) => store.getInstance(instanceId, intent),
      loadForStep: async () => ({ found: await store.getInstance(instanceId) }),
      save: (record, expectedVersion) => store.putInstance(record, expectedVersion),
      steps: (record) => instanceSteps(table, deps, record),
    };
  }

  binding(instanceId: string, bindingId: string): Target<BindingRecord> {
    const { store, table, deps } = this;
    return {
      ref: { type: 'binding', instanceId, bindingId },
      load: () => store.getBinding(instanceId, bindingId),
      loadForStep: async () => {
        const { binding, instance } = await readBindingWithInstance(store, instanceId, bindingId);
        return { found: binding, instance: instance?.record };
      },
      save: (record, expectedVersion) => store.putBinding(record, expectedVersion),
      steps: (record) => bindingSteps(table, deps, record),
    };
  }

  of(ref: TargetRef): AnyTarget {
    return ref.type === 'instance' ? this.instance(ref.instanceId) : this.binding(ref.instanceId, ref.bindingId);
  }
}
