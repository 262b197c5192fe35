import type { BindingWithInstance, InstanceWithBindings, ReadIntent, StateStore } from '../store/types';

/**
 * The reads that need two records at once, made as one read of the store when it can (a
 * store's optional getBindingWithInstance and getInstanceWithBindings), so that each step of
 * an operation reads the store at most once: a MySQL store then makes one round trip where it
 * made two. A store without them is read twice, as before.
 */

export function readBindingWithInstance(store: StateStore, instanceId: string, bindingId: string, intent?: ReadIntent): Promise<BindingWithInstance> {
  if (store.getBindingWithInstance) return store.getBindingWithInstance(instanceId, bindingId, intent);
  return readApart(store, instanceId, bindingId, intent);
}

async function readApart(store: StateStore, instanceId: string, bindingId: string, intent?: ReadIntent): Promise<BindingWithInstance> {
  const instance = await store.getInstance(instanceId, intent);
  return { instance, binding: await store.getBinding(instanceId, bindingId) };
}

export async function readInstanceWithBindings(store: StateStore, instanceId: string, intent?: ReadIntent): Promise<InstanceWithBindings> {
  if (store.getInstanceWithBindings) return store.getInstanceWithBindings(instanceId, intent);
  const instance = await store.getInstance(instanceId, intent);
  return { instance, bindings: instance ? await store.listBindings(instanceId) : [] };
}
