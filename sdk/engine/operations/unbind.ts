import { errors } from '../../errors';
import type { BindingRecord, OperationRecord, StoredCaller, UnbindOperation } from '../../store/types';
import { callerFrom } from '../caller';
import type { EngineContext } from '../context';
import { instanceOfBinding } from '../binding-instance';
import { readBindingWithInstance } from '../reads';
import { deleteOutcome, runAfterHalt, runFirstStep, type DeleteOutcome } from '../first-step';
import { copyBindingRecord, finishedOperation, startOperation } from '../record-shapes';
import { bindingView, instanceView, isLive, isoTime, withOperation } from '../records';
import type { OperationSteps } from '../step';

/**
 * DELETE /v2/service_instances/:instance_id/service_bindings/:binding_id. A bind still
 * running is halted, and the unbind then cleans up what it had made.
 */

export interface UnbindInput {
  instanceId: string;
  bindingId: string;
  serviceId: string;
  acceptsIncomplete: boolean;
  caller: StoredCaller;
}

export async function unbind(engine: EngineContext, input: UnbindInput): Promise<DeleteOutcome> {
  const { catalog, store, runner, targets, options } = engine;
  const { instanceId, bindingId } = input;
  const target = targets.binding(instanceId, bindingId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const { binding: existing, instance: instanceFound } = await readBindingWithInstance(store, instanceId, bindingId, { forWrite: true });
    if (!existing || !isLive(existing.record)) throw errors.gone();
    const record = existing.record;
    if (record.serviceId !== input.serviceId) {
      throw errors.badRequest(`service_id ${input.serviceId} does not match the service of binding ${bindingId}.`);
    }
    const running = record.operation;
    let halting: OperationRecord | undefined;
    if (running?.state === 'in progress') {
      if (running.kind === 'unbind') {
        if (input.acceptsIncomplete) return { kind: 'accepted', answer: { operation: running.id } };
        throw errors.concurrency(`Service binding ${bindingId} is already being deleted.`);
      }
      halting = { ...running, haltRequested: true };
    }
    const instance = instanceFound?.record;
    const maxDurationSeconds = instance ? catalog.plan(instance.planId)?.plan.maximum_polling_duration : undefined;
    const now = Date.now();
    const op = startOperation('unbind', { caller: input.caller }, { async: input.acceptsIncomplete, owner: runner.owner, leaseMs: options.leaseMs, now, maxDurationSeconds });
    const unbinding = withOperation(halting ? { ...record, operation: halting } : record, op);
    const version = await store.putBinding(unbinding, existing.version);
    if (version === undefined) continue;
    const step = halting
      ? await runAfterHalt(engine, target, op, halting)
      : await runFirstStep(engine, target, op, { restore: record }, { record: unbinding, version }, instance);
    return deleteOutcome(op.id, step);
  }
  throw errors.concurrency();
}

export const unbindSteps: OperationSteps<BindingRecord, UnbindOperation, void> = {
  deletes: true,

  async call({ broker, catalog, store }, record, op, context, known) {
    if (!broker.unbind) throw new Error('the broker has no unbind method');
    const { request } = op;
    return broker.unbind(
      {
        instance: instanceView(await instanceOfBinding(store, record, known), catalog),
        binding: bindingView(record),
        ...(request.haltedCheckpoint !== undefined ? { haltedCheckpoint: request.haltedCheckpoint } : {}),
        acceptsIncomplete: op.async,
        caller: callerFrom(request.caller),
      },
      context,
    );
  },

  succeeded(record, op, _value, now) {
    const at = isoTime(now);
    const done = copyBindingRecord(record);
    done.state = 'deleted';
    // Credentials are dropped from the store as soon as they are revoked.
    done.result = undefined;
    done.operation = finishedOperation(op, 'succeeded', at);
    done.updatedAt = at;
    return done;
  },

  failed(record, op, failure, now) {
    const operation = finishedOperation(op, 'failed', isoTime(now));
    operation.description = failure.description;
    // An unbind that failed after halting a bind leaves a broken binding: it reads as failed.
    return { ...record, state: record.state === 'binding' ? 'failed' : record.state, operation, updatedAt: operation.updatedAt };
  },
};
