import { MemoryStore } from '../../sdk';
import type { BindingRecord, InstanceRecord, PendingTarget, StateStore, Versioned } from '../../sdk';

/**
 * Wraps a store and counts the writes that reach it, so a test can prove a refused request
 * wrote nothing at all, not merely that the record reads the same afterwards.
 */
export class CountingStore implements StateStore {
  writes = 0;

  constructor(readonly inner: StateStore = new MemoryStore()) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  getInstance(instanceId: string): Promise<Versioned<InstanceRecord> | undefined> {
    return this.inner.getInstance(instanceId);
  }

  putInstance(record: InstanceRecord, expectedVersion: number | null): Promise<number | undefined> {
    this.writes++;
    return this.inner.putInstance(record, expectedVersion);
  }

  getBinding(instanceId: string, bindingId: string): Promise<Versioned<BindingRecord> | undefined> {
    return this.inner.getBinding(instanceId, bindingId);
  }

  putBinding(record: BindingRecord, expectedVersion: number | null): Promise<number | undefined> {
    this.writes++;
    return this.inner.putBinding(record, expectedVersion);
  }

  listBindings(instanceId: string): Promise<Array<Versioned<BindingRecord>>> {
    return this.inner.listBindings(instanceId);
  }

  listPending(): Promise<PendingTarget[]> {
    return this.inner.listPending();
  }

  purgeDeleted(before: Date): Promise<number> {
    return this.inner.purgeDeleted(before);
  }
}
