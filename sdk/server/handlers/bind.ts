import type { BindInput } from '../../engine/engine';
import { errors } from '../../errors';
import type { Handler } from '../context';
import {
  checkId, optionalContext, optionalObject, optionalString, readAcceptsIncomplete, requireBodyObject, requiredString, resolvePlan,
} from '../preconditions';

/** PUT /v2/service_instances/:instance_id/service_bindings/:binding_id */
export const bindBinding: Handler = (ctx) => {
  const instanceId = checkId('instance_id', ctx.params.instance_id);
  const bindingId = checkId('binding_id', ctx.params.binding_id);
  ctx.log.instanceId = instanceId;
  ctx.log.bindingId = bindingId;
  const acceptsIncomplete = readAcceptsIncomplete(ctx.query);
  const body = requireBodyObject(ctx.body);
  const serviceId = requiredString(body, 'service_id');
  const planId = requiredString(body, 'plan_id');
  const context = optionalContext(body, ctx.caller);
  const parameters = optionalObject(body, 'parameters');
  const bindResource = optionalObject(body, 'bind_resource');
  const appGuid = optionalString(body, 'app_guid');
  const predecessorBindingId = optionalString(body, 'predecessor_binding_id');
  if (bindResource?.app_guid !== undefined && (typeof bindResource.app_guid !== 'string' || bindResource.app_guid === '')) {
    throw errors.badRequest('bind_resource.app_guid must be a non-empty string.');
  }
  if (predecessorBindingId !== undefined) checkId('predecessor_binding_id', predecessorBindingId);
  resolvePlan(ctx.catalog, serviceId, planId);

  // Assigned rather than spread in: this runs on every bind.
  const input: BindInput = { instanceId, bindingId, serviceId, planId, acceptsIncomplete, caller: ctx.caller };
  if (parameters !== undefined) input.parameters = parameters;
  if (context) input.context = context;
  if (bindResource) input.bindResource = bindResource;
  if (appGuid) input.appGuid = appGuid;
  if (predecessorBindingId) input.predecessorBindingId = predecessorBindingId;
  return ctx.engine.bind(input);
};
