import type { Handler } from '../context';
import { checkId, readAcceptsIncomplete, requiredQueryPlan } from '../preconditions';

/** DELETE /v2/service_instances/:instance_id */
export const deprovisionInstance: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  ctx.log.instanceId = instanceId;
  const acceptsIncomplete = readAcceptsIncomplete(ctx.query);
  const { serviceId, planId } = await requiredQueryPlan(ctx, instanceId);
  return ctx.engine.deprovision({ instanceId, serviceId, planId, acceptsIncomplete, caller: ctx.caller });
};
