import { lastOperation } from '../../engine/operations/last-operation';
import { errors } from '../../errors';
import { lastOperationAnswer } from '../answers';
import type { Handler } from '../context';
import { checkId, checkQueryHints } from '../preconditions';

/** GET /v2/service_instances/:instance_id/service_bindings/:binding_id/last_operation */
export const getBindingLastOperation: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  const bindingId = checkId('binding_id', ctx.params.binding_id);
  ctx.log.instanceId = instanceId;
  ctx.log.bindingId = bindingId;
  await checkQueryHints(ctx, instanceId);
  const operation = ctx.query.get('operation');
  if (operation === '') throw errors.badRequest('operation must not be empty when present.');
  return lastOperationAnswer(await lastOperation(ctx.engine, { type: 'binding', instanceId, bindingId }, operation ?? undefined));
};
