import { randomUUID } from 'node:crypto';
import { OsbResponseError, type AsyncAnswer, type LastOperationAnswer } from '../../sdk/client';
import type { BindRequest, BindResponse } from '../../sdk/openapi';
import { validateVolumeMounts, type VolumeMount } from '../../sdk/volume/mounts';
import { resumeBrokerOperation, runBrokerOperation, type BrokerOperation } from './broker-operation';
import { pollRequest } from './broker-polling';
import type { ControllerDeps } from './deps';
import { bindingScope, operation, type BindingScope } from './resources';
import { ApiError, JobFailure, apiErrors } from './errors';
import type { RunningJob } from './jobs';
import { afterFailedCreate, needsOrphanMitigation, type FailureKind } from './orphan-mitigation';
import { osbBindingContext, describeBrokerFailure, originatingIdentity } from './osb-calls';
import type {
  BindingDetails, BindingType, JobRecord, LastOperation, MitigationPurpose, ServiceBindingRecord, ServiceOfferingRecord,
} from './records';
import { timestamp } from './store';

/**
 * Creating and deleting credential bindings: the bind request, fetching an async binding's
 * credentials, Cloud Controller's checks on what the broker returned (volume_mounts, syslog
 * drains), and orphan mitigation when the outcome cannot be trusted. Sending, polling and
 * resuming after a restart are the shared skeleton's (broker-operation.ts).
 */

function saveBinding(deps: ControllerDeps, guid: string, changes: Partial<ServiceBindingRecord>): void {
  const current = deps.store.bindings.get(guid);
  if (!current) return;
  deps.store.bindings.save({ ...current, ...changes, updatedAt: timestamp() });
}

function setOperation(deps: ControllerDeps, guid: string, type: LastOperation['type'], state: LastOperation['state'], description: string, extra: Partial<ServiceBindingRecord> = {}): void {
  const current = deps.store.bindings.get(guid);
  if (!current) return;
  saveBinding(deps, guid, { lastOperation: operation(current.lastOperation, type, state, description), ...extra });
}

/** What every operation on a binding records the same way. */
function bindingOperation(
  deps: ControllerDeps,
  scope: BindingScope,
  type: LastOperation['type'],
  job: RunningJob,
): Pick<BrokerOperation<AsyncAnswer<unknown>>, 'recordPhase' | 'recordProgress' | 'waitForLastOperation'> {
  const { binding, offering } = scope;
  return {
    recordPhase: (phase, brokerOperation) => setOperation(deps, binding.guid, type, 'in progress', '', { phase, brokerOperation }),
    recordProgress: (description) => setOperation(deps, binding.guid, type, 'in progress', description),
    waitForLastOperation: (brokerOperation: string | undefined, onPoll: (answer: LastOperationAnswer) => void) =>
      deps.osb.waitForBinding(offering.brokerGuid, binding.instanceGuid, binding.guid, {
        ...pollRequest(scope, brokerOperation, job), ...(type === 'delete' ? { isDelete: true } : {}), onPoll,
      }),
  };
}

/** Asks for the delete that orphan mitigation sends until the broker confirms the binding is gone. */
function requestMitigation(deps: ControllerDeps, scope: BindingScope, purpose: MitigationPurpose, reason: string): void {
  const { binding, plan, offering } = scope;
  deps.mitigator.request({
    kind: 'binding',
    purpose,
    brokerGuid: offering.brokerGuid,
    instanceGuid: binding.instanceGuid,
    bindingGuid: binding.guid,
    serviceId: offering.catalogId,
    planId: plan.catalogId,
    reason,
  });
}

const NOT_A_VOLUME_SERVICE = 'The service is attempting to supply volume mounts from your application, but is not registered as a volume mount service. Please contact the service provider.';
const NOT_A_LOGGING_SERVICE = 'The service is attempting to stream logs from your application, but is not registered as a logging service. Please contact the service provider.';

/**
 * Checks a bind (or fetch binding) response the way Cloud Controller does before storing
 * it. `undefined` details and an error mean the binding must not be used. A service key
 * keeps only the credentials, as in Cloud Controller: a log drain or volume mounts need an app.
 */
export function acceptBindingResponse(offering: ServiceOfferingRecord, body: Record<string, unknown>, type: BindingType = 'app'): { details: BindingDetails; expiresAt: string | null } | { error: ApiError } {
  const requires = offering.document.requires ?? [];
  const credentials = body.credentials;
  if (credentials !== undefined && credentials !== null && (typeof credentials !== 'object' || Array.isArray(credentials))) {
    return { error: apiErrors.brokerBadResponse('The service broker returned an invalid response: credentials must be an object.') };
  }
  const metadata = body.metadata;
  const expiresAt = typeof metadata === 'object' && metadata !== null && typeof (metadata as Record<string, unknown>).expires_at === 'string'
    ? (metadata as Record<string, string>).expires_at ?? null
    : null;
  if (type === 'key') return { details: { credentials: (credentials ?? {}) as Record<string, unknown>, syslogDrainUrl: null, volumeMounts: [] }, expiresAt };
  const drain = body.syslog_drain_url;
  if (drain !== undefined && drain !== null) {
    if (!requires.includes('syslog_drain')) return { error: apiErrors.brokerBadResponse(NOT_A_LOGGING_SERVICE) };
    if (typeof drain !== 'string') return { error: apiErrors.brokerBadResponse('The service broker returned an invalid response: syslog_drain_url must be a string.') };
  }
  let volumeMounts: VolumeMount[] = [];
  if (body.volume_mounts !== undefined && body.volume_mounts !== null) {
    if (!requires.includes('volume_mount')) return { error: apiErrors.brokerBadResponse(NOT_A_VOLUME_SERVICE) };
    const checked = validateVolumeMounts(body.volume_mounts, { serviceRequiresVolumeMount: true });
    if (!checked.ok) return { error: apiErrors.brokerBadResponse(`The service broker returned an invalid response: ${checked.errors.join('; ')}`) };
    volumeMounts = checked.mounts;
  }
  return {
    details: {
      credentials: (credentials ?? {}) as Record<string, unknown>,
      syslogDrainUrl: typeof drain === 'string' ? drain : null,
      volumeMounts,
    },
    expiresAt,
  };
}

// --- create -------------------------------------------------------------------------------

/** An app binding (`appGuid` set) or a service key (`name` set, no app). */
export type BindingCreateRequest = {
  instanceGuid: string;
  predecessorGuid: string | null;
  parameters?: Record<string, unknown>;
} & ({ type: 'app'; appGuid: string; name: string | null } | { type: 'key'; appGuid: null; name: string });

export function createBinding(deps: ControllerDeps, request: BindingCreateRequest, userId: string): { binding: ServiceBindingRecord; job: JobRecord } {
  const now = timestamp();
  const binding: ServiceBindingRecord = {
    guid: randomUUID(),
    type: request.type,
    name: request.name,
    instanceGuid: request.instanceGuid,
    appGuid: request.appGuid,
    predecessorGuid: request.predecessorGuid,
    established: false,
    expiresAt: null,
    lastOperation: { type: 'create', state: 'initial', description: '', createdAt: now, updatedAt: now },
    phase: null,
    brokerOperation: null,
    createdAt: now,
    updatedAt: now,
  };
  // One transaction: a crash can never leave a binding without the job that creates it.
  const job = deps.store.transaction(() => {
    deps.store.bindings.insert(binding);
    return deps.jobs.enqueue(
      { operation: 'service_bindings.create', resourceType: 'service_credential_bindings', resourceGuid: binding.guid, userId },
      (running) => bindInstance(deps, binding.guid, request.parameters, running),
    );
  });
  return { binding, job };
}

async function bindInstance(deps: ControllerDeps, guid: string, parameters: Record<string, unknown> | undefined, job: RunningJob): Promise<void> {
  const binding = deps.store.bindings.get(guid);
  if (!binding) throw JobFailure.of(apiErrors.notFound('Service credential binding'));
  await runBrokerOperation(bind(deps, bindingScope(deps, binding), parameters, job), job);
}

function bind(deps: ControllerDeps, scope: BindingScope, parameters: Record<string, unknown> | undefined, job: RunningJob): BrokerOperation<AsyncAnswer<BindResponse>> {
  const { binding, plan, offering, space, organization } = scope;
  return {
    ...bindingOperation(deps, scope, 'create', job),
    action: 'bind',
    resendable: false,
    send: () => {
      // A service key is a credential binding without an app (OSB: no app_guid, no bind_resource.app_guid).
      const appResource = binding.appGuid === null ? {} : { app_guid: binding.appGuid, bind_resource: { app_guid: binding.appGuid, space_guid: space.guid } };
      const body: BindRequest = {
        service_id: offering.catalogId,
        plan_id: plan.catalogId,
        ...appResource,
        context: osbBindingContext(organization, space),
        ...(parameters !== undefined ? { parameters } : {}),
        ...(binding.predecessorGuid !== null ? { predecessor_binding_id: binding.predecessorGuid } : {}),
      };
      return deps.osb.bind(offering.brokerGuid, binding.instanceGuid, binding.guid, body, originatingIdentity(job.record.userId));
    },
    succeed: async (description, answer) => {
      if (answer) {
        establish(deps, scope, answer.body as Record<string, unknown>, description);
        return;
      }
      establish(deps, scope, await fetchAsyncBinding(deps, scope, job), description);
    },
    fail: ({ kind, error }) => failCreate(deps, scope, kind, error),
    describeFailure: (error) => describeBindFailure(error, binding),
  };
}

/** Why a bind failed; a broker that wants an app for every binding says so about service keys. */
function describeBindFailure(error: unknown, binding: ServiceBindingRecord): ApiError {
  if (binding.type === 'key' && error instanceof OsbResponseError && error.status === 422 && error.code === 'RequiresApp') {
    return apiErrors.brokerRequestRejected(`The service broker does not support service keys for this service: it binds only to apps (RequiresApp)${error.description ? `: ${error.description}` : '.'}`);
  }
  return describeBrokerFailure(error, 'bind');
}

/** An async binding's credentials arrive only through a fetch, which the broker must offer. */
async function fetchAsyncBinding(deps: ControllerDeps, scope: BindingScope, job: RunningJob): Promise<Record<string, unknown>> {
  const { binding, plan, offering } = scope;
  if (offering.document.bindings_retrievable !== true) {
    failCreate(deps, scope, 'invalid-response', apiErrors.brokerBadResponse('The service broker responded asynchronously to the bind request but does not support fetching binding data (bindings_retrievable is false).'));
  }
  try {
    return await deps.osb.fetchBinding(offering.brokerGuid, binding.instanceGuid, binding.guid, { service_id: offering.catalogId, plan_id: plan.catalogId }, undefined);
  } catch (error) {
    if (job.signal.aborted) throw error;
    failCreate(deps, scope, 'invalid-response', describeBrokerFailure(error, 'fetch binding'));
  }
}

function establish(deps: ControllerDeps, scope: BindingScope, body: Record<string, unknown>, description: string): void {
  const { binding, offering } = scope;
  const accepted = acceptBindingResponse(offering, body, binding.type);
  if ('error' in accepted) failCreate(deps, scope, 'invalid-response', accepted.error);
  deps.store.transaction(() => {
    deps.store.bindings.saveDetails(binding.guid, accepted.details);
    setOperation(deps, binding.guid, 'create', 'succeeded', description, { phase: null, brokerOperation: null, established: true, expiresAt: accepted.expiresAt });
  });
  deps.logger.info({ binding: binding.guid, type: binding.type, instance: binding.instanceGuid, app: binding.appGuid, volumeMounts: accepted.details.volumeMounts.length }, 'service binding created');
}

function failCreate(deps: ControllerDeps, scope: BindingScope, kind: FailureKind, error: ApiError): never {
  const { binding } = scope;
  setOperation(deps, binding.guid, 'create', 'failed', error.detail, { phase: null, brokerOperation: null, established: false });
  deps.logger.warn({ binding: binding.guid, instance: binding.instanceGuid, failure: kind, error: error.detail }, 'service binding create failed');
  const mitigated = needsOrphanMitigation('bind', kind);
  if (mitigated) requestMitigation(deps, scope, 'create', error.detail);
  const next = binding.type === 'key'
    ? afterFailedCreate('service key', mitigated, 'Creating a key with the same name replaces it; deleting it removes it.')
    : afterFailedCreate('service binding', mitigated, 'Binding the app to the service instance again replaces it.');
  throw JobFailure.of(new ApiError(error.status, error.title, error.code, `${error.detail} ${next}`));
}

// --- delete -------------------------------------------------------------------------------

export function deleteBinding(deps: ControllerDeps, binding: ServiceBindingRecord, userId: string): JobRecord {
  return deps.store.transaction(() => {
    setOperation(deps, binding.guid, 'delete', 'initial', '', { phase: null, brokerOperation: null });
    return deps.jobs.enqueue(
      { operation: 'service_bindings.delete', resourceType: 'service_credential_bindings', resourceGuid: binding.guid, userId },
      (job) => unbind(deps, binding.guid, job),
    );
  });
}

/** Sends the unbind and waits for it; throws a JobFailure when the binding could not be deleted. */
export async function unbind(deps: ControllerDeps, guid: string, job: RunningJob): Promise<void> {
  const binding = deps.store.bindings.get(guid);
  if (!binding) return;
  await runBrokerOperation(unbindOperation(deps, bindingScope(deps, binding), job), job);
}

function unbindOperation(deps: ControllerDeps, scope: BindingScope, job: RunningJob): BrokerOperation<AsyncAnswer<Record<string, unknown>>> {
  const { binding, plan, offering } = scope;
  return {
    ...bindingOperation(deps, scope, 'delete', job),
    action: 'unbind',
    resendable: true,
    send: () => deps.osb.unbind(offering.brokerGuid, binding.instanceGuid, binding.guid, { service_id: offering.catalogId, plan_id: plan.catalogId }, originatingIdentity(job.record.userId)),
    succeed: () => forgetBinding(deps, binding.guid),
    fail: ({ kind, error }) => {
      setOperation(deps, binding.guid, 'delete', 'failed', error.detail, { phase: null, brokerOperation: null });
      deps.logger.warn({ binding: binding.guid, failure: kind, error: error.detail }, 'service binding delete failed');
      if (needsOrphanMitigation('unbind', kind)) requestMitigation(deps, scope, 'delete', error.detail);
      throw JobFailure.of(error);
    },
  };
}

export function forgetBinding(deps: ControllerDeps, guid: string): void {
  const binding = deps.store.bindings.get(guid);
  deps.mitigator.supersede(binding?.instanceGuid ?? '', guid);
  deps.store.transaction(() => {
    deps.store.bindings.delete(guid);
    deps.store.mitigations.deleteFinished(binding?.instanceGuid ?? '', guid);
  });
  deps.logger.info({ binding: guid }, 'service binding deleted');
}

// --- resuming after a restart -------------------------------------------------------------

export async function resumeBindingJob(deps: ControllerDeps, job: RunningJob): Promise<void> {
  const binding = deps.store.bindings.get(job.record.resourceGuid);
  if (!binding) {
    if (job.record.operation === 'service_bindings.delete') return;
    throw JobFailure.of(apiErrors.notFound('Service credential binding'));
  }
  const scope = bindingScope(deps, binding);
  const resumed = job.record.operation === 'service_bindings.create' ? bind(deps, scope, undefined, job) : unbindOperation(deps, scope, job);
  await resumeBrokerOperation(resumed, binding, job);
}
