import { fetchInstance as fetchStoredInstance } from '../../engine/operations/fetch';
import type { Handler } from '../context';
import { checkId, checkQueryHints } from '../preconditions';

/** GET /v2/service_instances/:instance_id (only when instances_retrievable). */
export const fetchInstance: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  ctx.log.instanceId = instanceId;
  await checkQueryHints(ctx, instanceId);
  return { status: 200, body: await fetchStoredInstance(ctx.engine, instanceId) };
};
