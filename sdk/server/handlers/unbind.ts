import type { Handler } from '../context';
import { checkId, readAcceptsIncomplete, requiredQueryPlan } from '../preconditions';

/** DELETE /v2/service_instances/:instance_id/service_bindings/:binding_id */
export const unbindBinding: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  const bindingId = checkId('binding_id', ctx.params.binding_id);
  ctx.log.instanceId = instanceId;
  ctx.log.bindingId = bindingId;
  const acceptsIncomplete = readAcceptsIncomplete(ctx.query);
  const { serviceId, planId } = await requiredQueryPlan(ctx, instanceId);
  return ctx.engine.unbind({ instanceId, bindingId, serviceId, planId, acceptsIncomplete, caller: ctx.caller });
};
