import type { Handler } from '../context';
import { checkId, checkQueryHints } from '../preconditions';

/** GET /v2/service_instances/:instance_id (only when instances_retrievable). */
export const fetchInstance: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  ctx.log.instanceId = instanceId;
  const unknown = checkQueryHints(ctx.catalog, ctx.query);
  if (unknown) await ctx.engine.requireStoredIds(instanceId, unknown);
  return ctx.engine.fetchInstance(instanceId);
};
