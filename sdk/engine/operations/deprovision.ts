import { errors } from '../../errors';
import type { DeprovisionOperation, InstanceRecord, OperationRecord, StoredCaller } from '../../store/types';
import { callerFrom } from '../caller';
import type { EngineContext } from '../context';
import { readInstanceWithBindings } from '../reads';
import { deleteOutcome, runAfterHalt, runFirstStep, type DeleteOutcome } from '../first-step';
import { copyInstanceRecord, finishedOperation, startOperation } from '../record-shapes';
import { instanceView, isLive, isoTime, withOperation } from '../records';
import type { OperationSteps } from '../step';

/**
 * DELETE /v2/service_instances/:instance_id. Refused while the instance has bindings or
 * another change runs; a provision still running is halted, and the deprovision then
 * cleans up what it had made.
 */

export interface DeprovisionInput {
  instanceId: string;
  serviceId: string;
  acceptsIncomplete: boolean;
  caller: StoredCaller;
}

export async function deprovision(engine: EngineContext, input: DeprovisionInput): Promise<DeleteOutcome> {
  const { catalog, store, runner, targets, options } = engine;
  const { instanceId } = input;
  const target = targets.instance(instanceId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const { instance: existing, bindings: allBindings } = await readInstanceWithBindings(store, instanceId, { forWrite: true });
    if (!existing || !isLive(existing.record)) throw errors.gone();
    const record = existing.record;
    if (record.serviceId !== input.serviceId) {
      throw errors.badRequest(`service_id ${input.serviceId} does not match the service of instance ${instanceId}.`);
    }
    const running = record.operation;
    let halting: OperationRecord | undefined;
    if (running?.state === 'in progress') {
      if (running.kind === 'deprovision') {
        if (input.acceptsIncomplete) return { kind: 'accepted', answer: { operation: running.id } };
        throw errors.concurrency(`Service instance ${instanceId} is already being deprovisioned.`);
      }
      if (running.kind !== 'provision') {
        throw errors.concurrency(`Another operation (${running.kind}) on service instance ${instanceId} is in progress.`);
      }
      halting = { ...running, haltRequested: true };
    }
    const bindings = allBindings.filter((b) => isLive(b.record));
    if (bindings.some((b) => b.record.operation?.state === 'in progress')) {
      throw errors.concurrency(`A binding of service instance ${instanceId} is being changed.`);
    }
    if (bindings.length > 0) {
      throw errors.unprocessable(`Service instance ${instanceId} still has ${bindings.length} binding(s); unbind them before deprovisioning.`);
    }
    const now = Date.now();
    const maxDurationSeconds = catalog.plan(record.planId)?.plan.maximum_polling_duration;
    const op = startOperation('deprovision', { caller: input.caller }, { async: input.acceptsIncomplete, owner: runner.owner, leaseMs: options.leaseMs, now, maxDurationSeconds });
    const deleting = withOperation(halting ? { ...record, operation: halting } : record, op);
    const version = await store.putInstance(deleting, existing.version);
    if (version === undefined) continue;
    const step = halting
      ? await runAfterHalt(engine, target, op, halting)
      : await runFirstStep(engine, target, op, { restore: record }, { record: deleting, version });
    return deleteOutcome(op.id, step);
  }
  throw errors.concurrency();
}

export const deprovisionSteps: OperationSteps<InstanceRecord, DeprovisionOperation, void> = {
  deletes: true,

  call({ broker, catalog }, record, op, context) {
    const { request } = op;
    return broker.deprovision(
      {
        instance: instanceView(record, catalog),
        ...(request.haltedCheckpoint !== undefined ? { haltedCheckpoint: request.haltedCheckpoint } : {}),
        acceptsIncomplete: op.async,
        caller: callerFrom(request.caller),
      },
      context,
    );
  },

  succeeded(record, op, _value, now) {
    const at = isoTime(now);
    const done = copyInstanceRecord(record);
    done.state = 'deleted';
    done.operation = finishedOperation(op, 'succeeded', at);
    done.updatedAt = at;
    return done;
  },

  failed(record, op, failure, now) {
    const operation = finishedOperation(op, 'failed', isoTime(now));
    operation.description = failure.description;
    if (failure.instanceUsable !== undefined) operation.instanceUsable = failure.instanceUsable;
    // A deprovision that failed after halting a provision leaves a broken instance: it reads as failed.
    return { ...record, state: record.state === 'provisioning' ? 'failed' : record.state, operation, updatedAt: operation.updatedAt };
  },
};
