import { lastOperation } from '../../engine/operations/last-operation';
import { errors } from '../../errors';
import type { Handler } from '../context';
import { checkId, checkQueryHints } from '../preconditions';
import { lastOperationAnswer } from '../answers';

/** GET /v2/service_instances/:instance_id/last_operation */
export const getInstanceLastOperation: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  ctx.log.instanceId = instanceId;
  await checkQueryHints(ctx, instanceId);
  const operation = ctx.query.get('operation');
  if (operation === '') throw errors.badRequest('operation must not be empty when present.');
  return lastOperationAnswer(await lastOperation(ctx.engine, { type: 'instance', instanceId }, operation ?? undefined));
};
