import { unbind } from '../../engine/operations/unbind';
import type { Handler } from '../context';
import { checkId, readAcceptsIncomplete, requiredQueryPlan } from '../preconditions';
import { deleteAnswer } from '../answers';

/** DELETE /v2/service_instances/:instance_id/service_bindings/:binding_id */
export const unbindBinding: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  const bindingId = checkId('binding_id', ctx.params.binding_id);
  ctx.log.instanceId = instanceId;
  ctx.log.bindingId = bindingId;
  const acceptsIncomplete = readAcceptsIncomplete(ctx.query);
  const { serviceId } = await requiredQueryPlan(ctx, instanceId);
  return deleteAnswer(await unbind(ctx.engine, { instanceId, bindingId, serviceId, acceptsIncomplete, caller: ctx.caller }));
};
