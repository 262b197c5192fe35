import type { Access } from './access';
import type { ControllerDeps } from './deps';
import { apiErrors } from './errors';
import type {
  AppRecord, LastOperation, OrganizationRecord, ServiceBindingRecord, ServiceInstanceRecord, ServiceOfferingRecord,
  ServicePlanRecord, SpaceRecord,
} from './records';
import { timestamp } from './store';

/**
 * What routes and workflows share about resources: finding one the caller may see, the scope
 * a broker call about it needs, and the rules on plans and last operations.
 */

/** An instance with everything a broker call about it needs. */
export interface InstanceScope {
  instance: ServiceInstanceRecord;
  plan: ServicePlanRecord;
  offering: ServiceOfferingRecord;
  space: SpaceRecord;
  organization: OrganizationRecord;
}

export interface BindingScope extends InstanceScope {
  binding: ServiceBindingRecord;
  app: AppRecord | undefined;
}

export function instanceScope(deps: ControllerDeps, instance: ServiceInstanceRecord): InstanceScope {
  const { store } = deps;
  const plan = store.catalog.plan(instance.planGuid);
  const offering = plan && store.catalog.offering(plan.offeringGuid);
  const space = store.spaces.get(instance.spaceGuid);
  const organization = space && store.organizations.get(space.organizationGuid);
  // Foreign keys make these impossible; a failure here is a controller bug, not a user error.
  if (!plan || !offering || !space || !organization) throw new Error(`service instance ${instance.guid} refers to a missing plan, offering or space`);
  return { instance, plan, offering, space, organization };
}

export function bindingScope(deps: ControllerDeps, binding: ServiceBindingRecord): BindingScope {
  const instance = deps.store.instances.get(binding.instanceGuid);
  if (!instance) throw new Error(`service binding ${binding.guid} refers to a missing instance`);
  return { ...instanceScope(deps, instance), binding, app: binding.appGuid === null ? undefined : deps.store.apps.get(binding.appGuid) };
}

/** 404 for an instance that does not exist and for one in a space the caller cannot see. */
export function requireInstance(deps: ControllerDeps, access: Access, guid: string): ServiceInstanceRecord {
  const instance = deps.store.instances.get(guid);
  if (!instance || !access.seesSpace(instance.spaceGuid)) throw apiErrors.notFound('Service instance');
  return instance;
}

/**
 * A binding, app binding or service key, is as visible as its instance's space (an app
 * binding's app lives in the same space).
 */
export function requireBinding(deps: ControllerDeps, access: Access, guid: string): ServiceBindingRecord {
  const binding = deps.store.bindings.get(guid);
  const instance = binding && deps.store.instances.get(binding.instanceGuid);
  if (!binding || !instance || !access.seesSpace(instance.spaceGuid)) throw apiErrors.notFound('Service credential binding');
  return binding;
}

export function requireApp(deps: ControllerDeps, access: Access, guid: string): AppRecord {
  const app = deps.store.apps.get(guid);
  if (!app || !access.seesSpace(app.spaceGuid)) throw apiErrors.notFound('App');
  return app;
}

/** A new last_operation; `createdAt` is kept while the same operation moves through its states. */
export function operation(previous: LastOperation | undefined, type: LastOperation['type'], state: LastOperation['state'], description = ''): LastOperation {
  const now = timestamp();
  const sameOperation = previous !== undefined && previous.type === type && previous.state !== 'succeeded' && previous.state !== 'failed';
  return { type, state, description, createdAt: sameOperation ? previous.createdAt : now, updatedAt: now };
}

export function effectiveBindable(plan: ServicePlanRecord, offering: ServiceOfferingRecord): boolean {
  return plan.document.bindable ?? offering.document.bindable;
}

export function effectivePlanUpdateable(plan: ServicePlanRecord, offering: ServiceOfferingRecord): boolean {
  return plan.document.plan_updateable ?? offering.document.plan_updateable ?? false;
}

export function requiresVolumeMount(offering: ServiceOfferingRecord): boolean {
  return (offering.document.requires ?? []).includes('volume_mount');
}

export function isBusy(lastOperation: LastOperation): boolean {
  return lastOperation.state === 'in progress' || lastOperation.state === 'initial';
}
