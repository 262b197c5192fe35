import { update, type UpdateOutcome } from '../../engine/operations/update';
import type { UpdateBody } from '../../openapi/wire';
import type { Handler } from '../context';
import {
  checkId, optionalContext, optionalMaintenanceVersion, optionalObject, optionalString, readAcceptsIncomplete, requireBodyObject,
  requiredString, resolveOffering, resolvePlan,
} from '../preconditions';

const STATUS: Record<UpdateOutcome['kind'], number> = { updated: 200, accepted: 202 };

/** PATCH /v2/service_instances/:instance_id */
export const updateInstance: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  ctx.log.instanceId = instanceId;
  const acceptsIncomplete = readAcceptsIncomplete(ctx.query);
  const fields = requireBodyObject(ctx.body);
  const body: UpdateBody = { service_id: requiredString(fields, 'service_id') };
  const planId = optionalString(fields, 'plan_id');
  if (planId !== undefined) body.plan_id = planId;
  const context = optionalContext(fields, ctx.caller);
  if (context) body.context = context;
  const parameters = optionalObject(fields, 'parameters');
  if (parameters) body.parameters = parameters;
  const previousValues = optionalObject(fields, 'previous_values');
  if (previousValues) body.previous_values = previousValues;
  const maintenanceInfoVersion = optionalMaintenanceVersion(fields);
  if (maintenanceInfoVersion !== undefined) body.maintenance_info = { version: maintenanceInfoVersion };
  // Without plan_id the plan stays the instance's, which only the operation knows.
  const plan = planId !== undefined ? resolvePlan(ctx.catalog, body.service_id, planId) : undefined;
  if (planId === undefined) resolveOffering(ctx.catalog, body.service_id);

  const outcome = await update(ctx.engine, { instanceId, body, ...(plan ? { plan } : {}), acceptsIncomplete, caller: ctx.caller });
  return { status: STATUS[outcome.kind], body: outcome.answer };
};
