import { fetchBinding as fetchStoredBinding } from '../../engine/operations/fetch';
import type { Handler } from '../context';
import { checkId, checkQueryHints } from '../preconditions';

/** GET /v2/service_instances/:instance_id/service_bindings/:binding_id (only when bindings_retrievable). */
export const fetchBinding: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  const bindingId = checkId('binding_id', ctx.params.binding_id);
  ctx.log.instanceId = instanceId;
  ctx.log.bindingId = bindingId;
  await checkQueryHints(ctx, instanceId);
  return { status: 200, body: await fetchStoredBinding(ctx.engine, instanceId, bindingId) };
};
