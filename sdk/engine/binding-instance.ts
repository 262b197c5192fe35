import type { BindingRecord, InstanceRecord, StateStore } from '../store/types';

/**
 * The instance a binding's step works on. A bind or unbind request has just read it to decide
 * whether it may start; its first step takes that record instead of reading it again (every
 * later step, which may run long after, reads it afresh). runFirstStep, Runner.runStep and the
 * steps' `call` carry the request's instance down; a background step gets the one its own
 * turn read together with the binding (Target.loadForStep).
 *
 * Measured gain (npm run bench:instructions -- bind, callgrind, 4,000 requests after 10,000,
 * the WAL checkpoint thread off): 306,069 and 306,858 instructions per bind with it, 326,851
 * and 324,120 when the step reads the instance itself, 6 % fewer.
 */
export async function instanceOfBinding(store: StateStore, binding: BindingRecord, known: InstanceRecord | undefined): Promise<InstanceRecord> {
  if (known) return known;
  const found = await store.getInstance(binding.instanceId);
  if (!found) throw new Error(`instance ${binding.instanceId} vanished while one of its bindings was being changed`);
  return found.record;
}
