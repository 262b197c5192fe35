import { deprovision } from '../../engine/operations/deprovision';
import { deleteAnswer } from '../answers';
import type { Handler } from '../context';
import { checkId, readAcceptsIncomplete, requiredQueryPlan } from '../preconditions';

/** DELETE /v2/service_instances/:instance_id */
export const deprovisionInstance: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  ctx.log.instanceId = instanceId;
  const acceptsIncomplete = readAcceptsIncomplete(ctx.query);
  const { serviceId } = await requiredQueryPlan(ctx, instanceId);
  return deleteAnswer(await deprovision(ctx.engine, { instanceId, serviceId, acceptsIncomplete, caller: ctx.caller }));
};
