import { bind, type BindOutcome } from '../../engine/operations/bind';
import type { BindBody } from '../../openapi/wire';
import type { Handler } from '../context';
import {
  checkId, optionalBindResource, optionalContext, optionalObject, optionalString, readAcceptsIncomplete, requireBodyObject, requiredString,
  resolvePlan,
} from '../preconditions';

const STATUS: Record<BindOutcome['kind'], number> = { created: 201, exists: 200, accepted: 202 };

/** PUT /v2/service_instances/:instance_id/service_bindings/:binding_id */
export const bindBinding: Handler = async (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  const bindingId = checkId('binding_id', ctx.params.binding_id);
  ctx.log.instanceId = instanceId;
  ctx.log.bindingId = bindingId;
  const acceptsIncomplete = readAcceptsIncomplete(ctx.query);
  const fields = requireBodyObject(ctx.body);
  const body: BindBody = { service_id: requiredString(fields, 'service_id'), plan_id: requiredString(fields, 'plan_id') };
  const context = optionalContext(fields, ctx.caller);
  if (context) body.context = context;
  const parameters = optionalObject(fields, 'parameters');
  if (parameters) body.parameters = parameters;
  const bindResource = optionalBindResource(fields);
  if (bindResource) body.bind_resource = bindResource;
  const appGuid = optionalString(fields, 'app_guid');
  if (appGuid) body.app_guid = appGuid;
  const predecessorBindingId = optionalString(fields, 'predecessor_binding_id');
  if (predecessorBindingId !== undefined) body.predecessor_binding_id = checkId('predecessor_binding_id', predecessorBindingId);
  resolvePlan(ctx.catalog, body.service_id, body.plan_id);

  const outcome = await bind(ctx.engine, { instanceId, bindingId, body, acceptsIncomplete, caller: ctx.caller });
  return { status: STATUS[outcome.kind], body: outcome.answer };
};
