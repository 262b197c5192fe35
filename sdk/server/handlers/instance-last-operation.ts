import type { Handler } from '../context';
import { errors } from '../../errors';
import { checkId, checkQueryHints } from '../preconditions';

/** GET /v2/service_instances/:instance_id/last_operation */
export const getInstanceLastOperation: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  ctx.log.instanceId = instanceId;
  await checkQueryHints(ctx, instanceId);
  const operation = ctx.query.get('operation');
  if (operation === '') throw errors.badRequest('operation must not be empty when present.');
  return ctx.engine.lastOperation({ type: 'instance', instanceId }, operation ?? undefined);
};
