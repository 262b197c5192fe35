import { errors } from '../../errors';
import type { LastOperationBody } from '../../openapi/wire';
import type { EngineContext } from '../context';
import { describeTarget, findOperation, type TargetRef } from '../records';

/** GET …/last_operation: the state of the record's current operation, or of an earlier one it names. */

export interface LastOperation {
  answer: LastOperationBody;
  /** While the operation runs: how long the platform should wait before it asks again, in whole seconds. */
  retryAfterSeconds?: number;
}

export async function lastOperation(engine: EngineContext, ref: TargetRef, operationId: string | undefined): Promise<LastOperation> {
  const found = await engine.targets.of(ref).load();
  if (!found) throw errors.notFound(`The ${describeTarget(ref)} does not exist.`);
  const op = findOperation(found.record, operationId);
  if (!op) {
    if (operationId !== undefined) throw errors.badRequest(`operation ${JSON.stringify(operationId)} is not an operation of the ${describeTarget(ref)}.`);
    throw errors.notFound(`The ${describeTarget(ref)} does not exist.`);
  }
  const answer: LastOperationBody = { state: op.state };
  if (op.description) answer.description = op.description;
  if (op.state === 'failed' && ref.type === 'instance') {
    if (op.instanceUsable !== undefined) answer.instance_usable = op.instanceUsable;
    if (op.updateRepeatable !== undefined) answer.update_repeatable = op.updateRepeatable;
  }
  if (op.state !== 'in progress') return { answer };
  return { answer, retryAfterSeconds: Math.ceil(op.retryAfterSeconds ?? engine.options.defaultRetryAfterSeconds) };
}
