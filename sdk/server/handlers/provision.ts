import { provision, type ProvisionOutcome } from '../../engine/operations/provision';
import type { ProvisionBody } from '../../openapi/wire';
import type { Handler } from '../context';
import {
  checkId, optionalContext, optionalMaintenanceVersion, optionalObject, readAcceptsIncomplete, requireBodyObject, requiredString, resolvePlan,
} from '../preconditions';

const STATUS: Record<ProvisionOutcome['kind'], number> = { created: 201, exists: 200, accepted: 202 };

/** PUT /v2/service_instances/:instance_id */
export const provisionInstance: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  ctx.log.instanceId = instanceId;
  const acceptsIncomplete = readAcceptsIncomplete(ctx.query);
  const fields = requireBodyObject(ctx.body);
  const body: ProvisionBody = {
    service_id: requiredString(fields, 'service_id'),
    plan_id: requiredString(fields, 'plan_id'),
    organization_guid: requiredString(fields, 'organization_guid'),
    space_guid: requiredString(fields, 'space_guid'),
  };
  const context = optionalContext(fields, ctx.caller);
  if (context) body.context = context;
  const parameters = optionalObject(fields, 'parameters');
  if (parameters) body.parameters = parameters;
  const maintenanceInfoVersion = optionalMaintenanceVersion(fields);
  if (maintenanceInfoVersion !== undefined) body.maintenance_info = { version: maintenanceInfoVersion };
  const plan = resolvePlan(ctx.catalog, body.service_id, body.plan_id);

  const outcome = await provision(ctx.engine, { instanceId, body, plan, acceptsIncomplete, caller: ctx.caller });
  return { status: STATUS[outcome.kind], body: outcome.answer };
};
