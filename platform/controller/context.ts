import type { Logger } from 'pino';
import type { Access } from './access';
import type { AccessTokens } from './access-tokens';
import type { CellApi } from './cell-api';
import { apiErrors } from './errors';
import type { JobRunner } from './jobs';
import type { OrphanMitigator } from './orphan-mitigation';
import type { OsbCalls } from './osb-calls';
import type { PackageBits } from './package-bits';
import type {
  AppRecord, LastOperation, OrganizationRecord, ServiceBindingRecord, ServiceInstanceRecord, ServiceOfferingRecord,
  ServicePlanRecord, SpaceRecord,
} from './records';
import { timestamp, type ControllerStore } from './store';

/** What every route and workflow of one controller shares. */
export interface ControllerContext {
  store: ControllerStore;
  osb: OsbCalls;
  jobs: JobRunner;
  mitigator: OrphanMitigator;
  cell: CellApi;
  logger: Logger;
  tokens: AccessTokens;
  /** Where uploaded app bits are stored and unpacked. */
  packages: PackageBits;
  volumeServicesEnabled: boolean;
  /** New plans start public instead of admin-only (`osbkit up` convenience). */
  autoEnableAccess: boolean;
}

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

export function instanceScope(context: ControllerContext, instance: ServiceInstanceRecord): InstanceScope {
  const { store } = context;
  const plan = store.catalog.plan(instance.planGuid);
  const offering = plan && store.catalog.offering(plan.offeringGuid);
  const space = store.spaces.get(instance.spaceGuid);
  const organization = space && store.organizations.get(space.organizationGuid);
  // Foreign keys make these impossible; a failure here is a controller bug, not a user error.
  if (!plan || !offering || !space || !organization) throw new Error(`service instance ${instance.guid} refers to a missing plan, offering or space`);
  return { instance, plan, offering, space, organization };
}

export function bindingScope(context: ControllerContext, binding: ServiceBindingRecord): BindingScope {
  const instance = context.store.instances.get(binding.instanceGuid);
  if (!instance) throw new Error(`service binding ${binding.guid} refers to a missing instance`);
  return { ...instanceScope(context, instance), binding, app: binding.appGuid === null ? undefined : context.store.apps.get(binding.appGuid) };
}

/** 404 for an instance that does not exist and for one in a space the caller cannot see. */
export function requireInstance(context: ControllerContext, access: Access, guid: string): ServiceInstanceRecord {
  const instance = context.store.instances.get(guid);
  if (!instance || !access.seesSpace(instance.spaceGuid)) throw apiErrors.notFound('Service instance');
  return instance;
}

/**
 * A binding, app binding or service key, is as visible as its instance's space (an app
 * binding's app lives in the same space).
 */
export function requireBinding(context: ControllerContext, access: Access, guid: string): ServiceBindingRecord {
  const binding = context.store.bindings.get(guid);
  const instance = binding && context.store.instances.get(binding.instanceGuid);
  if (!binding || !instance || !access.seesSpace(instance.spaceGuid)) throw apiErrors.notFound('Service credential binding');
  return binding;
}

export function requireApp(context: ControllerContext, access: Access, guid: string): AppRecord {
  const app = context.store.apps.get(guid);
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
