import { createHash, randomUUID } from 'node:crypto';
import type { LastOperationAnswer } from '../../sdk/client';
import type { ProvisionRequest, UpdateRequest } from '../../sdk/openapi';
import { canonicalJson } from '../../sdk/json';
import { finalDescription, pollRequest, progressRecorder } from './broker-polling';
import { instanceScope, operation, type ControllerContext, type InstanceScope } from './context';
import { ApiError, JobFailure, apiErrors } from './errors';
import type { JobContext } from './jobs';
import { afterFailedCreate, classifyBrokerFailure, needsOrphanMitigation, type FailureKind } from './orphan-mitigation';
import { describeBrokerFailure, describeFailedOperation, instanceContext, userIdentity } from './osb-calls';
import type { JobRecord, LastOperation, MitigationPurpose, ServiceInstanceRecord, ServicePlanRecord } from './records';
import { timestamp } from './store';
import { UNKNOWN_OUTCOME } from './unknown-outcome';

/**
 * Creating, updating and deleting service instances: the broker calls, the polling, and
 * what each outcome means for the instance record and for orphan mitigation. Every
 * operation records its phase, so a restarted controller can resume it (see resumeJob).
 */

function saveInstance(context: ControllerContext, guid: string, changes: Partial<ServiceInstanceRecord>): ServiceInstanceRecord | undefined {
  const current = context.store.instances.get(guid);
  if (!current) return undefined;
  const next: ServiceInstanceRecord = { ...current, ...changes, updatedAt: timestamp() };
  context.store.instances.save(next);
  return next;
}

function setOperation(context: ControllerContext, guid: string, type: LastOperation['type'], state: LastOperation['state'], description: string, extra: Partial<ServiceInstanceRecord> = {}): void {
  const current = context.store.instances.get(guid);
  if (!current) return;
  saveInstance(context, guid, { lastOperation: operation(current.lastOperation, type, state, description), ...extra });
}

/** Keeps the broker's progress text on the instance while polling. */
function showProgress(context: ControllerContext, guid: string, type: LastOperation['type']): (answer: LastOperationAnswer) => void {
  return progressRecorder((said) => setOperation(context, guid, type, 'in progress', said));
}

/** Asks for the delete that orphan mitigation sends until the broker confirms the instance is gone. */
function requestMitigation(context: ControllerContext, scope: InstanceScope, purpose: MitigationPurpose, reason: string): void {
  const { instance, plan, offering } = scope;
  context.mitigator.request({
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

export function createInstance(context: ControllerContext, request: InstanceCreateRequest, userId: string, warnings: string[]): { instance: ServiceInstanceRecord; job: JobRecord } {
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
  const job = context.store.transaction(() => {
    context.store.instances.insert(instance);
    return context.jobs.enqueue(
      { operation: 'service_instance.create', resourceType: 'service_instances', resourceGuid: instance.guid, userId, warnings },
      (running) => provisionInstance(context, instance.guid, request.parameters, running),
    );
  });
  return { instance, job };
}

async function provisionInstance(context: ControllerContext, guid: string, parameters: Record<string, unknown> | undefined, job: JobContext): Promise<void> {
  const instance = context.store.instances.get(guid);
  if (!instance) throw JobFailure.of(apiErrors.notFound('Service instance'));
  const scope = instanceScope(context, instance);
  const { plan, offering, space, organization } = scope;
  const maintenanceInfo = plan.document.maintenance_info;
  const body: ProvisionRequest = {
    service_id: offering.catalogId,
    plan_id: plan.catalogId,
    organization_guid: organization.guid,
    space_guid: space.guid,
    context: instanceContext(organization, space, instance.name),
    ...(parameters !== undefined ? { parameters } : {}),
    ...(maintenanceInfo ? { maintenance_info: maintenanceInfo } : {}),
  };
  setOperation(context, guid, 'create', 'in progress', '', { phase: 'requesting', brokerOperation: null });
  try {
    const answer = await context.osb.provision(offering.brokerGuid, guid, body, userIdentity(job.job.userId));
    const dashboardUrl = typeof answer.body.dashboard_url === 'string' ? answer.body.dashboard_url : null;
    if (!answer.async) {
      setOperation(context, guid, 'create', 'succeeded', '', { phase: null, brokerOperation: null, dashboardUrl });
      context.logger.info({ instance: guid, plan: plan.name }, 'service instance created');
      return;
    }
    setOperation(context, guid, 'create', 'in progress', '', { phase: 'polling', brokerOperation: answer.operation ?? null, dashboardUrl });
    await pollCreate(context, scope, answer.operation, job);
  } catch (error) {
    if (job.signal.aborted || error instanceof JobFailure) throw error;
    failCreate(context, scope, classifyBrokerFailure(error), describeBrokerFailure(error, 'provision'));
  }
}

async function pollCreate(context: ControllerContext, scope: InstanceScope, brokerOperation: string | undefined, job: JobContext): Promise<void> {
  const { instance, plan, offering } = scope;
  const last = await context.osb.waitForInstance(offering.brokerGuid, instance.guid, {
    ...pollRequest(scope, brokerOperation, job),
    onPoll: showProgress(context, instance.guid, 'create'),
  });
  if (last.body.state === 'failed') {
    failCreate(context, scope, 'last-operation-failed', describeFailedOperation(last, 'provision'));
  }
  setOperation(context, instance.guid, 'create', 'succeeded', finalDescription(last), { phase: null, brokerOperation: null });
  context.logger.info({ instance: instance.guid, plan: plan.name }, 'service instance created');
}

function failCreate(context: ControllerContext, scope: InstanceScope, kind: FailureKind, error: ApiError): never {
  const { instance } = scope;
  setOperation(context, instance.guid, 'create', 'failed', error.detail, { phase: null, brokerOperation: null });
  context.logger.warn({ instance: instance.guid, failure: kind, error: error.detail }, 'service instance create failed');
  const mitigated = needsOrphanMitigation('provision', kind);
  if (mitigated) requestMitigation(context, scope, 'create', error.detail);
  const next = afterFailedCreate('service instance', mitigated, 'Delete the service instance to remove it and free its name.');
  throw JobFailure.of(new ApiError(error.status, error.title, error.code, `${error.detail} ${next}`));
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

export function updateInstance(context: ControllerContext, instance: ServiceInstanceRecord, change: InstanceChange, userId: string): JobRecord {
  const { parameters: _parameters, ...rest } = change;
  const payload: UpdatePayload = { ...rest, fingerprint: updateFingerprint(change) };
  return context.store.transaction(() => {
    setOperation(context, instance.guid, 'update', 'initial', '', { phase: null, brokerOperation: null });
    return context.jobs.enqueue(
      { operation: 'service_instance.update', resourceType: 'service_instances', resourceGuid: instance.guid, userId, payload: { ...payload } },
      (job) => sendUpdate(context, instance.guid, change, payload, job),
    );
  });
}

async function sendUpdate(context: ControllerContext, guid: string, change: InstanceChange, payload: UpdatePayload, job: JobContext): Promise<void> {
  const instance = context.store.instances.get(guid);
  if (!instance) throw JobFailure.of(apiErrors.notFound('Service instance'));
  const scope = instanceScope(context, instance);
  const { plan, offering, space, organization } = scope;
  const newPlan = change.newPlanGuid !== undefined ? context.store.catalog.plan(change.newPlanGuid) : undefined;
  if (change.newPlanGuid !== undefined && !newPlan) throw JobFailure.of(apiErrors.unprocessable('The new service plan no longer exists.'));
  const maintenanceVersion = change.maintenanceInfoVersion ?? newPlan?.document.maintenance_info?.version;
  const body: UpdateRequest = {
    service_id: offering.catalogId,
    ...(newPlan ? { plan_id: newPlan.catalogId } : {}),
    ...(change.parameters !== undefined ? { parameters: change.parameters } : {}),
    context: instanceContext(organization, space, change.name ?? instance.name),
    previous_values: {
      plan_id: plan.catalogId,
      service_id: offering.catalogId,
      organization_id: organization.guid,
      space_id: space.guid,
      ...(instance.maintenanceInfoVersion !== null ? { maintenance_info: { version: instance.maintenanceInfoVersion } } : {}),
    },
    ...(maintenanceVersion !== undefined ? { maintenance_info: { version: maintenanceVersion } } : {}),
  };
  setOperation(context, guid, 'update', 'in progress', '', { phase: 'requesting', brokerOperation: null });
  try {
    const answer = await context.osb.update(offering.brokerGuid, guid, body, userIdentity(job.job.userId));
    const dashboardUrl = typeof answer.body.dashboard_url === 'string' && answer.body.dashboard_url !== '' ? answer.body.dashboard_url : undefined;
    if (!answer.async) {
      applyUpdate(context, guid, payload, dashboardUrl, '');
      return;
    }
    setOperation(context, guid, 'update', 'in progress', '', { phase: 'polling', brokerOperation: answer.operation ?? null, ...(dashboardUrl ? { dashboardUrl } : {}) });
    await pollUpdate(context, scope, answer.operation, payload, job);
  } catch (error) {
    if (job.signal.aborted || error instanceof JobFailure) throw error;
    failUpdate(context, guid, payload, describeBrokerFailure(error, 'update'), brokerFlags(error));
  }
}

/** Polls with the plan the instance had before the update (the scope's), as the spec asks. */
async function pollUpdate(context: ControllerContext, scope: InstanceScope, brokerOperation: string | undefined, payload: UpdatePayload, job: JobContext): Promise<void> {
  const { instance, offering } = scope;
  const last = await context.osb.waitForInstance(offering.brokerGuid, instance.guid, {
    ...pollRequest(scope, brokerOperation, job),
    onPoll: showProgress(context, instance.guid, 'update'),
  });
  if (last.body.state === 'failed') {
    failUpdate(context, instance.guid, payload, describeFailedOperation(last, 'update'), {
      instanceUsable: typeof last.body.instance_usable === 'boolean' ? last.body.instance_usable : undefined,
      updateRepeatable: typeof last.body.update_repeatable === 'boolean' ? last.body.update_repeatable : undefined,
    });
  }
  applyUpdate(context, instance.guid, payload, undefined, finalDescription(last));
}

function applyUpdate(context: ControllerContext, guid: string, payload: UpdatePayload, dashboardUrl: string | undefined, description: string): void {
  setOperation(context, guid, 'update', 'succeeded', description, {
    phase: null,
    brokerOperation: null,
    usable: true,
    blockedUpdate: null,
    ...(payload.name !== undefined ? { name: payload.name } : {}),
    ...(payload.tags !== undefined ? { tags: payload.tags } : {}),
    ...(payload.newPlanGuid !== undefined ? { planGuid: payload.newPlanGuid } : {}),
    ...(payload.newPlanGuid !== undefined || payload.maintenanceInfoVersion !== undefined
      ? { maintenanceInfoVersion: payload.maintenanceInfoVersion ?? context.store.catalog.plan(payload.newPlanGuid ?? '')?.document.maintenance_info?.version ?? null }
      : {}),
    ...(dashboardUrl !== undefined ? { dashboardUrl } : {}),
  });
  context.logger.info({ instance: guid, planChanged: payload.newPlanGuid !== undefined }, 'service instance updated');
}

interface BrokerFlags {
  instanceUsable: boolean | undefined;
  updateRepeatable: boolean | undefined;
}

function brokerFlags(error: unknown): BrokerFlags {
  const body = (error as { body?: unknown }).body;
  if (typeof body !== 'object' || body === null) return { instanceUsable: undefined, updateRepeatable: undefined };
  const record = body as Record<string, unknown>;
  return {
    instanceUsable: typeof record.instance_usable === 'boolean' ? record.instance_usable : undefined,
    updateRepeatable: typeof record.update_repeatable === 'boolean' ? record.update_repeatable : undefined,
  };
}

/** Updates are never orphan-mitigated; the broker's flags decide what the user may do next. */
function failUpdate(context: ControllerContext, guid: string, payload: UpdatePayload, error: ApiError, flags: BrokerFlags): never {
  setOperation(context, guid, 'update', 'failed', error.detail, {
    phase: null,
    brokerOperation: null,
    ...(flags.instanceUsable === false ? { usable: false } : {}),
    ...(flags.updateRepeatable === false ? { blockedUpdate: payload.fingerprint } : {}),
  });
  context.logger.warn({ instance: guid, error: error.detail, instanceUsable: flags.instanceUsable, updateRepeatable: flags.updateRepeatable }, 'service instance update failed');
  throw JobFailure.of(error);
}

/** Name and tag changes the broker does not need to hear about apply at once. */
export function renameOrRetagInstance(context: ControllerContext, guid: string, change: { name?: string; tags?: string[] }): ServiceInstanceRecord | undefined {
  return saveInstance(context, guid, {
    ...(change.name !== undefined ? { name: change.name } : {}),
    ...(change.tags !== undefined ? { tags: change.tags } : {}),
  });
}

// --- delete -------------------------------------------------------------------------------

export function deleteInstance(context: ControllerContext, instance: ServiceInstanceRecord, userId: string): JobRecord {
  return context.store.transaction(() => {
    setOperation(context, instance.guid, 'delete', 'initial', '', { phase: null, brokerOperation: null });
    return context.jobs.enqueue(
      { operation: 'service_instance.delete', resourceType: 'service_instances', resourceGuid: instance.guid, userId },
      (job) => deprovisionInstance(context, instance.guid, job),
    );
  });
}

async function deprovisionInstance(context: ControllerContext, guid: string, job: JobContext): Promise<void> {
  const instance = context.store.instances.get(guid);
  if (!instance) return;
  const scope = instanceScope(context, instance);
  const { plan, offering } = scope;
  setOperation(context, guid, 'delete', 'in progress', '', { phase: 'requesting', brokerOperation: null });
  try {
    const answer = await context.osb.deprovision(offering.brokerGuid, guid, { service_id: offering.catalogId, plan_id: plan.catalogId }, userIdentity(job.job.userId));
    if (!answer.async) {
      forgetInstance(context, guid);
      return;
    }
    setOperation(context, guid, 'delete', 'in progress', '', { phase: 'polling', brokerOperation: answer.operation ?? null });
    await pollDelete(context, scope, answer.operation, job);
  } catch (error) {
    if (job.signal.aborted || error instanceof JobFailure) throw error;
    failDelete(context, scope, classifyBrokerFailure(error), describeBrokerFailure(error, 'deprovision'), brokerFlags(error).instanceUsable);
  }
}

async function pollDelete(context: ControllerContext, scope: InstanceScope, brokerOperation: string | undefined, job: JobContext): Promise<void> {
  const { instance, offering } = scope;
  const last = await context.osb.waitForInstance(offering.brokerGuid, instance.guid, {
    ...pollRequest(scope, brokerOperation, job),
    isDelete: true,
    onPoll: showProgress(context, instance.guid, 'delete'),
  });
  if (last.body.state === 'failed') {
    const usable = typeof last.body.instance_usable === 'boolean' ? last.body.instance_usable : undefined;
    failDelete(context, scope, 'last-operation-failed', describeFailedOperation(last, 'deprovision'), usable);
  }
  forgetInstance(context, instance.guid);
}

function failDelete(context: ControllerContext, scope: InstanceScope, kind: FailureKind, error: ApiError, instanceUsable: boolean | undefined): never {
  const { instance } = scope;
  setOperation(context, instance.guid, 'delete', 'failed', error.detail, {
    phase: null,
    brokerOperation: null,
    ...(instanceUsable === false ? { usable: false } : {}),
  });
  context.logger.warn({ instance: instance.guid, failure: kind, error: error.detail }, 'service instance delete failed');
  if (needsOrphanMitigation('deprovision', kind)) requestMitigation(context, scope, 'delete', error.detail);
  throw JobFailure.of(error);
}

/** The broker confirmed the instance is gone: so is our record of it. */
export function forgetInstance(context: ControllerContext, guid: string): void {
  context.mitigator.supersede(guid, null);
  context.store.transaction(() => {
    context.store.instances.delete(guid);
    context.store.mitigations.deleteFinished(guid, null);
  });
  context.logger.info({ instance: guid }, 'service instance deleted');
}

// --- resuming after a restart -------------------------------------------------------------

export async function resumeInstanceJob(context: ControllerContext, job: JobContext): Promise<void> {
  const instance = context.store.instances.get(job.job.resourceGuid);
  if (!instance) {
    if (job.job.operation === 'service_instance.delete') return;
    throw JobFailure.of(apiErrors.notFound('Service instance'));
  }
  const scope = instanceScope(context, instance);
  const polling = instance.phase === 'polling';
  const brokerOperation = instance.brokerOperation ?? undefined;
  switch (job.job.operation) {
    case 'service_instance.create':
      if (!polling) failCreate(context, scope, 'internal-error', apiErrors.brokerOperationFailed(UNKNOWN_OUTCOME));
      try {
        await pollCreate(context, scope, brokerOperation, job);
      } catch (error) {
        if (job.signal.aborted || error instanceof JobFailure) throw error;
        failCreate(context, scope, classifyBrokerFailure(error), describeBrokerFailure(error, 'provision'));
      }
      return;
    case 'service_instance.update': {
      const payload = job.job.payload as unknown as UpdatePayload;
      if (!polling) failUpdate(context, instance.guid, payload, apiErrors.brokerOperationFailed(UNKNOWN_OUTCOME), { instanceUsable: undefined, updateRepeatable: undefined });
      try {
        await pollUpdate(context, scope, brokerOperation, payload, job);
      } catch (error) {
        if (job.signal.aborted || error instanceof JobFailure) throw error;
        failUpdate(context, instance.guid, payload, describeBrokerFailure(error, 'update'), brokerFlags(error));
      }
      return;
    }
    case 'service_instance.delete':
      if (!polling) {
        // A delete can safely be sent again: a broker that already did it answers 410.
        await deprovisionInstance(context, instance.guid, job);
        return;
      }
      try {
        await pollDelete(context, scope, brokerOperation, job);
      } catch (error) {
        if (job.signal.aborted || error instanceof JobFailure) throw error;
        failDelete(context, scope, classifyBrokerFailure(error), describeBrokerFailure(error, 'deprovision'), undefined);
      }
      return;
    default:
      throw new Error(`not an instance job: ${job.job.operation}`);
  }
}
