import { createHash, randomUUID } from 'node:crypto';
import type { AsyncAnswer, LastOperationAnswer } from '../../sdk/client';
import type { ProvisionRequest, ProvisionResponse, UpdateRequest, UpdateResponse } from '../../sdk/openapi';
import { canonicalJson } from '../../sdk/json';
import { resumeBrokerOperation, runBrokerOperation, type BrokerOperation, type OperationFailure } from './broker-operation';
import { pollRequest } from './broker-polling';
import type { ControllerDeps } from './deps';
import { instanceScope, operation, type InstanceScope } from './resources';
import { ApiError, JobFailure, apiErrors } from './errors';
import type { RunningJob } from './jobs';
import { afterFailedCreate, needsOrphanMitigation } from './orphan-mitigation';
import { osbInstanceContext, originatingIdentity } from './osb-calls';
import type { JobRecord, LastOperation, MitigationPurpose, ServiceInstanceRecord, ServicePlanRecord } from './records';
import { timestamp } from './store';

/**
 * Creating, updating and deleting service instances: each operation's request, and what its
 * outcome means for the instance record and for orphan mitigation. Sending, polling and
 * resuming after a restart are the shared skeleton's (broker-operation.ts).
 */

function saveInstance(deps: ControllerDeps, guid: string, changes: Partial<ServiceInstanceRecord>): ServiceInstanceRecord | undefined {
  const current = deps.store.instances.get(guid);
  if (!current) return undefined;
  const next: ServiceInstanceRecord = { ...current, ...changes, updatedAt: timestamp() };
  deps.store.instances.save(next);
  return next;
}

function setOperation(deps: ControllerDeps, guid: string, type: LastOperation['type'], state: LastOperation['state'], description: string, extra: Partial<ServiceInstanceRecord> = {}): void {
  const current = deps.store.instances.get(guid);
  if (!current) return;
  saveInstance(deps, guid, { lastOperation: operation(current.lastOperation, type, state, description), ...extra });
}

/** What every operation on an instance records the same way. */
function instanceOperation(
  deps: ControllerDeps,
  scope: InstanceScope,
  type: LastOperation['type'],
  job: RunningJob,
): Pick<BrokerOperation<AsyncAnswer<unknown>>, 'recordProgress' | 'waitForLastOperation'> {
  const { instance, offering } = scope;
  return {
    recordProgress: (description) => setOperation(deps, instance.guid, type, 'in progress', description),
    waitForLastOperation: (brokerOperation: string | undefined, onPoll: (answer: LastOperationAnswer) => void) =>
      deps.osb.waitForInstance(offering.brokerGuid, instance.guid, { ...pollRequest(scope, brokerOperation, job), ...(type === 'delete' ? { isDelete: true } : {}), onPoll }),
  };
}

/** Asks for the delete that orphan mitigation sends until the broker confirms the instance is gone. */
function requestMitigation(deps: ControllerDeps, scope: InstanceScope, purpose: MitigationPurpose, reason: string): void {
  const { instance, plan, offering } = scope;
  deps.mitigator.request({
    kind: 'instance',
    purpose,
    brokerGuid: offering.brokerGuid,
    instanceGuid: instance.guid,
    bindingGuid: null,
    serviceId: offering.catalogId,
    planId: plan.catalogId,
    reason,
  });
}

// --- create -------------------------------------------------------------------------------

export interface InstanceCreateRequest {
  name: string;
  spaceGuid: string;
  plan: ServicePlanRecord;
  tags: string[];
  parameters?: Record<string, unknown>;
}

export function createInstance(deps: ControllerDeps, request: InstanceCreateRequest, userId: string, warnings: string[]): { instance: ServiceInstanceRecord; job: JobRecord } {
  const now = timestamp();
  const instance: ServiceInstanceRecord = {
    guid: randomUUID(),
    name: request.name,
    spaceGuid: request.spaceGuid,
    planGuid: request.plan.guid,
    tags: request.tags,
    dashboardUrl: null,
    maintenanceInfoVersion: request.plan.document.maintenance_info?.version ?? null,
    usable: true,
    blockedUpdate: null,
    lastOperation: { type: 'create', state: 'initial', description: '', createdAt: now, updatedAt: now },
    phase: null,
    brokerOperation: null,
    createdAt: now,
    updatedAt: now,
  };
  // One transaction: a crash can never leave an instance without the job that creates it.
  const job = deps.store.transaction(() => {
    deps.store.instances.insert(instance);
    return deps.jobs.enqueue(
      { operation: 'service_instance.create', resourceType: 'service_instances', resourceGuid: instance.guid, userId, warnings },
      (running) => provisionInstance(deps, instance.guid, request.parameters, running),
    );
  });
  return { instance, job };
}

async function provisionInstance(deps: ControllerDeps, guid: string, parameters: Record<string, unknown> | undefined, job: RunningJob): Promise<void> {
  const instance = deps.store.instances.get(guid);
  if (!instance) throw JobFailure.of(apiErrors.notFound('Service instance'));
  await runBrokerOperation(provision(deps, instanceScope(deps, instance), parameters, job), job);
}

function provision(deps: ControllerDeps, scope: InstanceScope, parameters: Record<string, unknown> | undefined, job: RunningJob): BrokerOperation<AsyncAnswer<ProvisionResponse>> {
  const { instance, plan, offering, space, organization } = scope;
  const dashboardUrlOf = (answer: AsyncAnswer<ProvisionResponse>): string | null => (typeof answer.body.dashboard_url === 'string' ? answer.body.dashboard_url : null);
  return {
    ...instanceOperation(deps, scope, 'create', job),
    action: 'provision',
    resendable: false,
    recordPhase: (phase, brokerOperation, accepted) =>
      setOperation(deps, instance.guid, 'create', 'in progress', '', { phase, brokerOperation, ...(accepted ? { dashboardUrl: dashboardUrlOf(accepted) } : {}) }),
    send: () => {
      const maintenanceInfo = plan.document.maintenance_info;
      const body: ProvisionRequest = {
        service_id: offering.catalogId,
        plan_id: plan.catalogId,
        organization_guid: organization.guid,
        space_guid: space.guid,
        context: osbInstanceContext(organization, space, instance.name),
        ...(parameters !== undefined ? { parameters } : {}),
        ...(maintenanceInfo ? { maintenance_info: maintenanceInfo } : {}),
      };
      return deps.osb.provision(offering.brokerGuid, instance.guid, body, originatingIdentity(job.record.userId));
    },
    succeed: (description, answer) => {
      setOperation(deps, instance.guid, 'create', 'succeeded', description, { phase: null, brokerOperation: null, ...(answer ? { dashboardUrl: dashboardUrlOf(answer) } : {}) });
      deps.logger.info({ instance: instance.guid, plan: plan.name }, 'service instance created');
    },
    fail: ({ kind, error }) => {
      setOperation(deps, instance.guid, 'create', 'failed', error.detail, { phase: null, brokerOperation: null });
      deps.logger.warn({ instance: instance.guid, failure: kind, error: error.detail }, 'service instance create failed');
      const mitigated = needsOrphanMitigation('provision', kind);
      if (mitigated) requestMitigation(deps, scope, 'create', error.detail);
      const next = afterFailedCreate('service instance', mitigated, 'Delete the service instance to remove it and free its name.');
      throw JobFailure.of(new ApiError(error.status, error.title, error.code, `${error.detail} ${next}`));
    },
  };
}

// --- update -------------------------------------------------------------------------------

/** What a PATCH asks for. Parameters stay in memory: they may hold secrets. */
export interface InstanceChange {
  name?: string;
  tags?: string[];
  newPlanGuid?: string;
  parameters?: Record<string, unknown>;
  maintenanceInfoVersion?: string;
}

/** Identifies an update so a repeat of one the broker called unrepeatable can be refused. */
export function updateFingerprint(change: InstanceChange): string {
  const material = canonicalJson({ plan: change.newPlanGuid ?? null, parameters: change.parameters ?? null, maintenance: change.maintenanceInfoVersion ?? null });
  return createHash('sha256').update(material).digest('hex');
}

/** What a resumed update needs: everything but the parameters. */
interface UpdatePayload {
  name?: string;
  tags?: string[];
  newPlanGuid?: string;
  maintenanceInfoVersion?: string;
  fingerprint: string;
}

/** Reads back the payload updateInstance stored with the job; only its fields' types are checked, it was ours. */
function updatePayloadOf(payload: Record<string, unknown>): UpdatePayload {
  const { name, tags, newPlanGuid, maintenanceInfoVersion, fingerprint } = payload;
  return {
    ...(typeof name === 'string' ? { name } : {}),
    ...(Array.isArray(tags) ? { tags: tags.filter((tag): tag is string => typeof tag === 'string') } : {}),
    ...(typeof newPlanGuid === 'string' ? { newPlanGuid } : {}),
    ...(typeof maintenanceInfoVersion === 'string' ? { maintenanceInfoVersion } : {}),
    fingerprint: typeof fingerprint === 'string' ? fingerprint : '',
  };
}

export function updateInstance(deps: ControllerDeps, instance: ServiceInstanceRecord, change: InstanceChange, userId: string): JobRecord {
  const { parameters: _parameters, ...rest } = change;
  const payload: UpdatePayload = { ...rest, fingerprint: updateFingerprint(change) };
  return deps.store.transaction(() => {
    setOperation(deps, instance.guid, 'update', 'initial', '', { phase: null, brokerOperation: null });
    return deps.jobs.enqueue(
      { operation: 'service_instance.update', resourceType: 'service_instances', resourceGuid: instance.guid, userId, payload: { ...payload } },
      (job) => sendUpdate(deps, instance.guid, change, payload, job),
    );
  });
}

async function sendUpdate(deps: ControllerDeps, guid: string, change: InstanceChange, payload: UpdatePayload, job: RunningJob): Promise<void> {
  const instance = deps.store.instances.get(guid);
  if (!instance) throw JobFailure.of(apiErrors.notFound('Service instance'));
  const newPlan = change.newPlanGuid !== undefined ? deps.store.catalog.plan(change.newPlanGuid) : undefined;
  if (change.newPlanGuid !== undefined && !newPlan) throw JobFailure.of(apiErrors.unprocessable('The new service plan no longer exists.'));
  await runBrokerOperation(update(deps, instanceScope(deps, instance), payload, job, { change, newPlan }), job);
}

/**
 * An update, polled with the plan the instance had before it (the scope's), as the spec asks.
 * `request` is there only while the request can still be sent: a resumed update only polls.
 */
function update(
  deps: ControllerDeps,
  scope: InstanceScope,
  payload: UpdatePayload,
  job: RunningJob,
  request?: { change: InstanceChange; newPlan: ServicePlanRecord | undefined },
): BrokerOperation<AsyncAnswer<UpdateResponse>> {
  const { instance, plan, offering, space, organization } = scope;
  const dashboardUrlOf = (answer: AsyncAnswer<UpdateResponse>): string | undefined =>
    (typeof answer.body.dashboard_url === 'string' && answer.body.dashboard_url !== '' ? answer.body.dashboard_url : undefined);
  return {
    ...instanceOperation(deps, scope, 'update', job),
    action: 'update',
    resendable: false,
    recordPhase: (phase, brokerOperation, accepted) => {
      const dashboardUrl = accepted && dashboardUrlOf(accepted);
      setOperation(deps, instance.guid, 'update', 'in progress', '', { phase, brokerOperation, ...(dashboardUrl ? { dashboardUrl } : {}) });
    },
    send: () => {
      if (!request) throw new Error('a resumed update cannot be sent again: its parameters were never stored');
      const { change, newPlan } = request;
      const maintenanceVersion = change.maintenanceInfoVersion ?? newPlan?.document.maintenance_info?.version;
      const body: UpdateRequest = {
        service_id: offering.catalogId,
        ...(newPlan ? { plan_id: newPlan.catalogId } : {}),
        ...(change.parameters !== undefined ? { parameters: change.parameters } : {}),
        context: osbInstanceContext(organization, space, change.name ?? instance.name),
        previous_values: {
          plan_id: plan.catalogId,
          service_id: offering.catalogId,
          organization_id: organization.guid,
          space_id: space.guid,
          ...(instance.maintenanceInfoVersion !== null ? { maintenance_info: { version: instance.maintenanceInfoVersion } } : {}),
        },
        ...(maintenanceVersion !== undefined ? { maintenance_info: { version: maintenanceVersion } } : {}),
      };
      return deps.osb.update(offering.brokerGuid, instance.guid, body, originatingIdentity(job.record.userId));
    },
    succeed: (description, answer) => applyUpdate(deps, instance.guid, payload, answer && dashboardUrlOf(answer), description),
    fail: (failure) => failUpdate(deps, instance.guid, payload, failure),
  };
}

function applyUpdate(deps: ControllerDeps, guid: string, payload: UpdatePayload, dashboardUrl: string | undefined, description: string): void {
  setOperation(deps, guid, 'update', 'succeeded', description, {
    phase: null,
    brokerOperation: null,
    usable: true,
    blockedUpdate: null,
    ...(payload.name !== undefined ? { name: payload.name } : {}),
    ...(payload.tags !== undefined ? { tags: payload.tags } : {}),
    ...(payload.newPlanGuid !== undefined ? { planGuid: payload.newPlanGuid } : {}),
    ...(payload.newPlanGuid !== undefined || payload.maintenanceInfoVersion !== undefined
      ? { maintenanceInfoVersion: payload.maintenanceInfoVersion ?? deps.store.catalog.plan(payload.newPlanGuid ?? '')?.document.maintenance_info?.version ?? null }
      : {}),
    ...(dashboardUrl !== undefined ? { dashboardUrl } : {}),
  });
  deps.logger.info({ instance: guid, planChanged: payload.newPlanGuid !== undefined }, 'service instance updated');
}

/** Updates are never orphan-mitigated; the broker's flags decide what the user may do next. */
function failUpdate(deps: ControllerDeps, guid: string, payload: UpdatePayload, { error, flags }: OperationFailure): never {
  setOperation(deps, guid, 'update', 'failed', error.detail, {
    phase: null,
    brokerOperation: null,
    ...(flags.instanceUsable === false ? { usable: false } : {}),
    ...(flags.updateRepeatable === false ? { blockedUpdate: payload.fingerprint } : {}),
  });
  deps.logger.warn({ instance: guid, error: error.detail, instanceUsable: flags.instanceUsable, updateRepeatable: flags.updateRepeatable }, 'service instance update failed');
  throw JobFailure.of(error);
}

/** Name and tag changes the broker does not need to hear about apply at once. */
export function renameOrRetagInstance(deps: ControllerDeps, guid: string, change: { name?: string; tags?: string[] }): ServiceInstanceRecord | undefined {
  return saveInstance(deps, guid, {
    ...(change.name !== undefined ? { name: change.name } : {}),
    ...(change.tags !== undefined ? { tags: change.tags } : {}),
  });
}

// --- delete -------------------------------------------------------------------------------

export function deleteInstance(deps: ControllerDeps, instance: ServiceInstanceRecord, userId: string): JobRecord {
  return deps.store.transaction(() => {
    setOperation(deps, instance.guid, 'delete', 'initial', '', { phase: null, brokerOperation: null });
    return deps.jobs.enqueue(
      { operation: 'service_instance.delete', resourceType: 'service_instances', resourceGuid: instance.guid, userId },
      (job) => deprovisionInstance(deps, instance.guid, job),
    );
  });
}

async function deprovisionInstance(deps: ControllerDeps, guid: string, job: RunningJob): Promise<void> {
  const instance = deps.store.instances.get(guid);
  if (!instance) return;
  await runBrokerOperation(deprovision(deps, instanceScope(deps, instance), job), job);
}

function deprovision(deps: ControllerDeps, scope: InstanceScope, job: RunningJob): BrokerOperation<AsyncAnswer<Record<string, unknown>>> {
  const { instance, plan, offering } = scope;
  return {
    ...instanceOperation(deps, scope, 'delete', job),
    action: 'deprovision',
    resendable: true,
    recordPhase: (phase, brokerOperation) => setOperation(deps, instance.guid, 'delete', 'in progress', '', { phase, brokerOperation }),
    send: () => deps.osb.deprovision(offering.brokerGuid, instance.guid, { service_id: offering.catalogId, plan_id: plan.catalogId }, originatingIdentity(job.record.userId)),
    succeed: () => forgetInstance(deps, instance.guid),
    fail: ({ kind, error, flags }) => {
      setOperation(deps, instance.guid, 'delete', 'failed', error.detail, {
        phase: null,
        brokerOperation: null,
        ...(flags.instanceUsable === false ? { usable: false } : {}),
      });
      deps.logger.warn({ instance: instance.guid, failure: kind, error: error.detail }, 'service instance delete failed');
      if (needsOrphanMitigation('deprovision', kind)) requestMitigation(deps, scope, 'delete', error.detail);
      throw JobFailure.of(error);
    },
  };
}

/** The broker confirmed the instance is gone: so is our record of it. */
export function forgetInstance(deps: ControllerDeps, guid: string): void {
  deps.mitigator.supersede(guid, null);
  deps.store.transaction(() => {
    deps.store.instances.delete(guid);
    deps.store.mitigations.deleteFinished(guid, null);
  });
  deps.logger.info({ instance: guid }, 'service instance deleted');
}

// --- resuming after a restart -------------------------------------------------------------

export async function resumeInstanceJob(deps: ControllerDeps, job: RunningJob): Promise<void> {
  const instance = deps.store.instances.get(job.record.resourceGuid);
  if (!instance) {
    if (job.record.operation === 'service_instance.delete') return;
    throw JobFailure.of(apiErrors.notFound('Service instance'));
  }
  const scope = instanceScope(deps, instance);
  switch (job.record.operation) {
    case 'service_instance.create':
      return resumeBrokerOperation(provision(deps, scope, undefined, job), instance, job);
    case 'service_instance.update':
      return resumeBrokerOperation(update(deps, scope, updatePayloadOf(job.record.payload), job), instance, job);
    case 'service_instance.delete':
      return resumeBrokerOperation(deprovision(deps, scope, job), instance, job);
    default:
      throw new Error(`not an instance job: ${job.record.operation}`);
  }
}
