import type { BindingRecord, BindingWithInstance, InstanceRecord, InstanceWithBindings, PendingTarget, StateStore, Versioned } from './types';

/** For tests and throwaway brokers: the same semantics as the durable stores, nothing kept. */
export class MemoryStore implements StateStore {
  private readonly instances = new Map<string, { doc: string; version: number }>();
  private readonly bindings = new Map<string, { doc: string; version: number }>();

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  async getInstance(instanceId: string): Promise<Versioned<InstanceRecord> | undefined> {
    return read<InstanceRecord>(this.instances.get(instanceId));
  }

  async putInstance(record: InstanceRecord, expectedVersion: number | null): Promise<number | undefined> {
    return write(this.instances, record.instanceId, record, expectedVersion);
  }

  async getBinding(instanceId: string, bindingId: string): Promise<Versioned<BindingRecord> | undefined> {
    return read<BindingRecord>(this.bindings.get(bindingKey(instanceId, bindingId)));
  }

  async putBinding(record: BindingRecord, expectedVersion: number | null): Promise<number | undefined> {
    return write(this.bindings, bindingKey(record.instanceId, record.bindingId), record, expectedVersion);
  }

  async listBindings(instanceId: string): Promise<Array<Versioned<BindingRecord>>> {
    const out: Array<Versioned<BindingRecord>> = [];
    for (const entry of this.bindings.values()) {
      const found = read<BindingRecord>(entry)!;
      if (found.record.instanceId === instanceId) out.push(found);
    }
    return out;
  }

  async getBindingWithInstance(instanceId: string, bindingId: string): Promise<BindingWithInstance> {
    return {
      instance: read<InstanceRecord>(this.instances.get(instanceId)),
      binding: read<BindingRecord>(this.bindings.get(bindingKey(instanceId, bindingId))),
    };
  }

  async getInstanceWithBindings(instanceId: string): Promise<InstanceWithBindings> {
    const instance = read<InstanceRecord>(this.instances.get(instanceId));
    return { instance, bindings: instance ? await this.listBindings(instanceId) : [] };
  }

  async listPending(): Promise<PendingTarget[]> {
    const out: PendingTarget[] = [];
    for (const entry of this.instances.values()) {
      const { record } = read<InstanceRecord>(entry)!;
      if (record.operation?.state === 'in progress') out.push({ type: 'instance', instanceId: record.instanceId });
    }
    for (const entry of this.bindings.values()) {
      const { record } = read<BindingRecord>(entry)!;
      if (record.operation?.state === 'in progress') {
        out.push({ type: 'binding', instanceId: record.instanceId, bindingId: record.bindingId });
      }
    }
    return out;
  }

  async purgeDeleted(before: Date): Promise<number> {
    let purged = 0;
    for (const map of [this.instances, this.bindings]) {
      for (const [key, entry] of map) {
        const doc = JSON.parse(entry.doc) as { state: string; updatedAt: string };
        if (doc.state === 'deleted' && new Date(doc.updatedAt) < before) {
          map.delete(key);
          purged++;
        }
      }
    }
    return purged;
  }
}

function bindingKey(instanceId: string, bindingId: string): string {
  return JSON.stringify([instanceId, bindingId]);
}

// Records are kept serialised so a caller can never mutate stored state by accident.
function read<T>(entry: { doc: string; version: number } | undefined): Versioned<T> | undefined {
  return entry ? { record: JSON.parse(entry.doc) as T, version: entry.version } : undefined;
}

function write(
  map: Map<string, { doc: string; version: number }>,
  key: string,
  record: unknown,
  expectedVersion: number | null,
): number | undefined {
  const current = map.get(key);
  if (expectedVersion === null ? current !== undefined : current?.version !== expectedVersion) return undefined;
  const version = (current?.version ?? 0) + 1;
  map.set(key, { doc: JSON.stringify(record), version });
  return version;
}
