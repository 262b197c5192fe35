import type { Logger } from 'pino';
import type {
  BindRequest, BindResult, Caller, OsbContext, ProvisionRequest, ProvisionResult, ServiceBroker, StepContext, UpdateResult,
} from '../broker';
import type { Catalog } from '../catalog/catalog';
import { parseOriginatingIdentity } from '../identity';
import { isPlainObject, type JsonObject, type JsonValue } from '../json';
import type { BindingRecord, InstanceRecord, OperationRecord, StateStore } from '../store/types';
import { bindingView, copyBindingRecord, copyInstanceRecord, instanceView, isoTime, storedPlan, type AnyRecord } from './records';

/** How one step of each operation kind calls the broker, and how its answer changes the record. */

export interface StepDeps {
  broker: ServiceBroker;
  catalog: Catalog;
  store: StateStore;
  logger: Logger;
}

/** The request attributes an operation keeps so that a restarted broker can run it again. */
export interface StoredCaller {
  requestId?: string;
  identityHeader?: string;
  apiVersion: string;
}

export function callerFrom(stored: StoredCaller): Caller {
  const caller: Caller = { apiVersion: stored.apiVersion };
  if (stored.requestId) caller.requestId = stored.requestId;
  if (stored.identityHeader) {
    const parsed = parseOriginatingIdentity(stored.identityHeader);
    if (parsed.ok) caller.identity = parsed.identity;
  }
  return caller;
}

function storedCaller(op: OperationRecord): Caller {
  return callerFrom((op.request.caller ?? { apiVersion: '2.17' }) as unknown as StoredCaller);
}

function optionalObject(value: JsonValue | undefined): JsonObject | undefined {
  return isPlainObject(value) ? (value as JsonObject) : undefined;
}

async function loadInstance(deps: StepDeps, instanceId: string): Promise<InstanceRecord> {
  const found = await deps.store.getInstance(instanceId);
  if (!found) throw new Error(`instance ${instanceId} vanished while one of its bindings was being changed`);
  return found.record;
}

/**
 * `instanceHint`: the instance a binding belongs to, when the caller has just read it; it
 * saves a read on the bind and unbind hot path.
 */
export async function callBroker(deps: StepDeps, record: AnyRecord, op: OperationRecord, ctx: StepContext, instanceHint?: InstanceRecord): Promise<unknown> {
  const { broker, catalog } = deps;
  const caller = storedCaller(op);
  const acceptsIncomplete = op.async;
  switch (op.kind) {
    case 'provision': {
      const rec = record as InstanceRecord;
      const entry = storedPlan(rec, catalog);
      const input: ProvisionRequest = {
        instanceId: rec.instanceId,
        offering: entry.offering,
        plan: entry.plan,
        parameters: rec.parameters,
        organizationGuid: rec.organizationGuid ?? '',
        spaceGuid: rec.spaceGuid ?? '',
        acceptsIncomplete,
        caller,
      };
      if (rec.context) input.context = rec.context as OsbContext;
      if (rec.maintenanceInfoVersion !== undefined) input.maintenanceInfoVersion = rec.maintenanceInfoVersion;
      return broker.provision(input, ctx);
    }
    case 'update': {
      const rec = record as InstanceRecord;
      const view = instanceView(rec, catalog);
      const targetPlanId = typeof op.request.planId === 'string' ? op.request.planId : rec.planId;
      const target = catalog.plan(targetPlanId);
      if (!target) throw new Error(`plan ${targetPlanId} is no longer in the catalog`);
      const parameters = optionalObject(op.request.parameters);
      const context = optionalObject(op.request.context);
      const previousValues = optionalObject(op.request.previousValues);
      return broker.update!(
        {
          instance: view,
          plan: target.plan,
          previousPlan: view.plan,
          planChanged: target.plan.id !== view.plan.id,
          ...(parameters ? { parameters } : {}),
          ...(context ? { context: context as OsbContext } : {}),
          ...(typeof op.request.maintenanceInfoVersion === 'string' ? { maintenanceInfoVersion: op.request.maintenanceInfoVersion } : {}),
          ...(previousValues ? { previousValues } : {}),
          acceptsIncomplete,
          caller,
        },
        ctx,
      );
    }
    case 'deprovision': {
      const rec = record as InstanceRecord;
      return broker.deprovision(
        {
          instance: instanceView(rec, catalog),
          ...(op.request.haltedCheckpoint !== undefined ? { haltedCheckpoint: op.request.haltedCheckpoint } : {}),
          acceptsIncomplete,
          caller,
        },
        ctx,
      );
    }
    case 'bind': {
      const rec = record as BindingRecord;
      const instance = instanceHint ?? (await loadInstance(deps, rec.instanceId));
      let predecessor;
      if (rec.predecessorBindingId) {
        const found = await deps.store.getBinding(rec.instanceId, rec.predecessorBindingId);
        if (found) predecessor = bindingView(found.record);
      }
      const input: BindRequest = { instance: instanceView(instance, catalog), bindingId: rec.bindingId, parameters: rec.parameters, acceptsIncomplete, caller };
      if (rec.context) input.context = rec.context as OsbContext;
      if (rec.bindResource) input.bindResource = rec.bindResource;
      if (rec.appGuid !== undefined) input.appGuid = rec.appGuid;
      if (predecessor) input.predecessor = predecessor;
      return broker.bind!(input, ctx);
    }
    case 'unbind': {
      const rec = record as BindingRecord;
      const instance = instanceHint ?? (await loadInstance(deps, rec.instanceId));
      return broker.unbind!(
        {
          instance: instanceView(instance, catalog),
          binding: bindingView(rec),
          ...(op.request.haltedCheckpoint !== undefined ? { haltedCheckpoint: op.request.haltedCheckpoint } : {}),
          acceptsIncomplete,
          caller,
        },
        ctx,
      );
    }
  }
}

/**
 * The operation as it is kept once finished: the runner's claim goes, and on success so do its
 * progress marker and note, which would read wrongly once the operation is done. Every field
 * is listed (absent ones as undefined, which JSON leaves out), so `satisfies` fails the build
 * when the type gains a field this forgets; and it runs on every request that changes state,
 * where object rest patterns are slow in V8.
 */
function finishedOperation(op: OperationRecord, state: 'succeeded' | 'failed', at: string): OperationRecord {
  const keepProgress = state === 'failed';
  return {
    id: op.id,
    kind: op.kind,
    state,
    async: op.async,
    description: keepProgress ? op.description : undefined,
    fingerprint: op.fingerprint,
    request: op.request,
    checkpoint: keepProgress ? op.checkpoint : undefined,
    retryAfterSeconds: op.retryAfterSeconds,
    instanceUsable: op.instanceUsable,
    updateRepeatable: op.updateRepeatable,
    haltRequested: op.haltRequested,
    owner: undefined,
    leaseUntil: undefined,
    deadline: op.deadline,
    attempts: op.attempts,
    transientFailures: op.transientFailures,
    startedAt: op.startedAt,
    updatedAt: at,
  } satisfies Record<keyof OperationRecord, unknown>;
}

/** The record after the operation succeeded with the broker's `value`. */
export function applySuccess(record: AnyRecord, op: OperationRecord, value: unknown, now: number): AnyRecord {
  const at = isoTime(now);
  const finished = finishedOperation(op, 'succeeded', at);
  switch (op.kind) {
    case 'provision': {
      const result = (value ?? {}) as ProvisionResult;
      const done = copyInstanceRecord(record as InstanceRecord);
      done.state = 'provisioned';
      done.dashboardUrl = result.dashboardUrl ?? null;
      done.operation = finished;
      done.updatedAt = at;
      if (result.metadata) done.metadata = result.metadata;
      if (result.data !== undefined) done.data = result.data;
      return done;
    }
    case 'update': {
      const rec = record as InstanceRecord;
      const result = (value ?? {}) as UpdateResult;
      const parameters = optionalObject(op.request.parameters);
      const context = optionalObject(op.request.context);
      return {
        ...rec,
        planId: typeof op.request.planId === 'string' ? op.request.planId : rec.planId,
        parameters: parameters ? { ...rec.parameters, ...parameters } : rec.parameters,
        ...(context ? { context } : {}),
        ...(typeof op.request.maintenanceInfoVersion === 'string' ? { maintenanceInfoVersion: op.request.maintenanceInfoVersion } : {}),
        // The spec: an absent or null dashboard_url on update means "keep the old one".
        ...(result.dashboardUrl ? { dashboardUrl: result.dashboardUrl } : {}),
        ...(result.metadata ? { metadata: result.metadata } : {}),
        ...(result.data !== undefined ? { data: result.data } : {}),
        operation: finished,
        updatedAt: at,
      };
    }
    case 'bind': {
      // The broker's private `data` is kept apart from what the platform is shown. A plain
      // clone (no rest pattern) keeps this cheap in the common case without `data`.
      const bound = (value ?? {}) as BindResult;
      const bindingResult: BindResult = { ...bound };
      delete bindingResult.data;
      const done = copyBindingRecord(record as BindingRecord);
      done.state = 'bound';
      done.result = bindingResult;
      done.operation = finished;
      done.updatedAt = at;
      if (bound.data !== undefined) done.data = bound.data;
      return done;
    }
    case 'deprovision':
    case 'unbind': {
      const done = 'bindingId' in record ? copyBindingRecord(record) : copyInstanceRecord(record);
      done.state = 'deleted';
      done.operation = finished;
      done.updatedAt = at;
      // Credentials are dropped from the store as soon as they are revoked.
      if ('bindingId' in done) done.result = undefined;
      return done;
    }
  }
}

export interface FailureDetails {
  description: string;
  instanceUsable?: boolean;
  updateRepeatable?: boolean;
}

export function applyFailure(record: AnyRecord, op: OperationRecord, failure: FailureDetails, now: number): AnyRecord {
  const at = isoTime(now);
  const finished = finishedOperation(op, 'failed', at);
  finished.description = failure.description;
  // The spec allows these flags only on failed updates (both) and deprovisions (usable).
  if ((op.kind === 'update' || op.kind === 'deprovision') && failure.instanceUsable !== undefined) finished.instanceUsable = failure.instanceUsable;
  if (op.kind === 'update' && failure.updateRepeatable !== undefined) finished.updateRepeatable = failure.updateRepeatable;
  // A create that failed, or a delete that failed after halting a create, leaves a broken
  // resource the platform must clean up: it reads as failed, never as half-made.
  const unfinished = record.state === 'provisioning' || record.state === 'binding';
  const state = op.kind === 'provision' || op.kind === 'bind' || unfinished ? 'failed' : record.state;
  return { ...record, state, operation: finished, updatedAt: at } as AnyRecord;
}

/** Checks what a broker returned from bind against what its catalog declared. */
export function checkBindResult(value: unknown, requires: readonly string[]): string[] {
  const problems: string[] = [];
  if (value === undefined || value === null) return problems;
  if (!isPlainObject(value)) return ['bind must return an object'];
  if (value.credentials !== undefined && !isPlainObject(value.credentials)) problems.push('credentials must be an object');
  if (value.volume_mounts !== undefined) {
    if (!requires.includes('volume_mount')) problems.push('volume_mounts were returned but the offering does not require volume_mount');
    else if (!Array.isArray(value.volume_mounts)) problems.push('volume_mounts must be an array');
  }
  if (value.syslog_drain_url !== undefined && !requires.includes('syslog_drain')) {
    problems.push('syslog_drain_url was returned but the offering does not require syslog_drain');
  }
  if (value.route_service_url !== undefined && !requires.includes('route_forwarding')) {
    problems.push('route_service_url was returned but the offering does not require route_forwarding');
  }
  if (value.endpoints !== undefined && !Array.isArray(value.endpoints)) problems.push('endpoints must be an array');
  return problems;
}
