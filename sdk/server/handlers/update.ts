import type { Handler } from '../context';
import {
  checkId, checkMaintenanceInfo, optionalContext, optionalMaintenanceVersion, optionalObject, optionalString,
  readAcceptsIncomplete, requireBodyObject, requiredString, resolveOffering, resolvePlan,
} from '../preconditions';

/** PATCH /v2/service_instances/:instance_id */
export const updateInstance: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  ctx.log.instanceId = instanceId;
  const acceptsIncomplete = readAcceptsIncomplete(ctx.query);
  const body = requireBodyObject(ctx.body);
  const serviceId = requiredString(body, 'service_id');
  const planId = optionalString(body, 'plan_id');
  const context = optionalContext(body, ctx.caller);
  const parameters = optionalObject(body, 'parameters');
  const previousValues = optionalObject(body, 'previous_values');
  const maintenanceInfoVersion = optionalMaintenanceVersion(body);

  if (planId !== undefined) {
    const entry = resolvePlan(ctx.catalog, serviceId, planId);
    checkMaintenanceInfo(entry, maintenanceInfoVersion);
  } else {
    resolveOffering(ctx.catalog, serviceId);
    const previousPlan = typeof previousValues?.plan_id === 'string' ? ctx.catalog.plan(previousValues.plan_id) : undefined;
    // Without plan_id the plan does not change, so the stored plan's maintenance_info applies;
    // the engine knows it. previous_values is only a hint and is checked when it names a plan.
    if (previousPlan && maintenanceInfoVersion !== undefined) checkMaintenanceInfo(previousPlan, maintenanceInfoVersion);
  }

  return ctx.engine.update({
    instanceId,
    serviceId,
    ...(planId !== undefined ? { planId } : {}),
    ...(parameters !== undefined ? { parameters } : {}),
    ...(context !== undefined ? { context } : {}),
    ...(maintenanceInfoVersion !== undefined ? { maintenanceInfoVersion } : {}),
    ...(previousValues !== undefined ? { previousValues } : {}),
    acceptsIncomplete,
    caller: ctx.caller,
  });
};
