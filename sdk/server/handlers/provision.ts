import type { Handler } from '../context';
import {
  checkId, checkMaintenanceInfo, checkParameters, optionalContext, optionalMaintenanceVersion, optionalObject,
  readAcceptsIncomplete, requireBodyObject, requiredString, resolvePlan,
} from '../preconditions';

/** PUT /v2/service_instances/:instance_id */
export const provisionInstance: Handler = (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  ctx.log.instanceId = instanceId;
  const acceptsIncomplete = readAcceptsIncomplete(ctx.query);
  const body = requireBodyObject(ctx.body);
  const serviceId = requiredString(body, 'service_id');
  const planId = requiredString(body, 'plan_id');
  const organizationGuid = requiredString(body, 'organization_guid');
  const spaceGuid = requiredString(body, 'space_guid');
  const context = optionalContext(body, ctx.caller);
  const parameters = optionalObject(body, 'parameters') ?? {};
  const maintenanceInfoVersion = optionalMaintenanceVersion(body);

  const entry = resolvePlan(ctx.catalog, serviceId, planId);
  checkMaintenanceInfo(entry, maintenanceInfoVersion);
  checkParameters(ctx.catalog, entry, 'instance.create', parameters);

  return ctx.engine.provision({
    instanceId,
    serviceId,
    planId,
    organizationGuid,
    spaceGuid,
    parameters,
    ...(context ? { context } : {}),
    ...(maintenanceInfoVersion !== undefined ? { maintenanceInfoVersion } : {}),
    acceptsIncomplete,
    caller: ctx.caller,
  });
};
