import type { BindRequest, BindResult } from '../../broker';
import { errors } from '../../errors';
import { canonicalJson, isPlainObject, type JsonObject } from '../../json';
import type { BindBody, BindingResult, BindResource } from '../../openapi/wire';
import type { BindOperation, BindingRecord, StoredCaller } from '../../store/types';
import { callerFrom } from '../caller';
import type { EngineContext } from '../context';
import { instanceOfBinding } from '../binding-instance';
import { runFirstStep } from '../first-step';
import { readBindingWithInstance } from '../reads';
import { checkParameters } from '../plan-checks';
import { copyBindingRecord, finishedOperation, startOperation, type Whole } from '../record-shapes';
import { bindingView, instanceView, isLive, isoTime } from '../records';
import type { OperationSteps } from '../step';

/**
 * PUT /v2/service_instances/:instance_id/service_bindings/:binding_id. Binds to a live,
 * bindable instance; a repeat of the same request gets the answer the first got, anything
 * else under that id is a conflict. A rotation (predecessor_binding_id) may leave out what
 * the binding it replaces already carries.
 */

export interface BindInput {
  instanceId: string;
  bindingId: string;
  body: BindBody;
  acceptsIncomplete: boolean;
  caller: StoredCaller;
}

export type BindOutcome =
  | { kind: 'created'; answer: BindingResult }
  /** An identical repeat of a bind that succeeded. */
  | { kind: 'exists'; answer: BindingResult }
  | { kind: 'accepted'; answer: { operation: string } };

export async function bind(engine: EngineContext, input: BindInput): Promise<BindOutcome> {
  const { catalog, store, runner, targets, options } = engine;
  const { instanceId, bindingId, body } = input;
  // One read for the instance and the binding; a retry after a lost race reads the binding alone.
  const first = await readBindingWithInstance(store, instanceId, bindingId, { forWrite: true });
  const found = first.instance;
  if (!found || !isLive(found.record)) throw errors.notFound(`Service instance ${instanceId} does not exist; it cannot be bound.`);
  const instance = found.record;
  if (instance.serviceId !== body.service_id) {
    throw errors.badRequest(`service_id ${body.service_id} does not match the service of instance ${instanceId}.`);
  }
  if (instance.planId !== body.plan_id) throw errors.badRequest(`plan_id ${body.plan_id} does not match the plan of instance ${instanceId}.`);
  if (instance.state === 'failed') throw errors.unprocessable(`Service instance ${instanceId} failed to provision and cannot be bound.`);
  if (instance.state === 'provisioning') throw errors.concurrency(`Service instance ${instanceId} is still being provisioned.`);
  const entry = catalog.plan(instance.planId);
  if (!entry) throw errors.unprocessable(`The plan of instance ${instanceId} is no longer offered.`);
  if (!entry.bindable) throw errors.unprocessable(`Plan "${entry.plan.name}" of service "${entry.offering.name}" is not bindable.`);
  const appGuid = body.app_guid ?? body.bind_resource?.app_guid;
  if (!appGuid && engine.broker.requiresApp?.(entry.plan)) throw errors.requiresApp();

  let parameters = body.parameters;
  let bindResource = body.bind_resource;
  if (body.predecessor_binding_id !== undefined) {
    if (!entry.bindingRotatable) {
      throw errors.unprocessable(`Plan "${entry.plan.name}" does not allow binding rotation (binding_rotatable is not true).`);
    }
    const predecessor = await store.getBinding(instanceId, body.predecessor_binding_id);
    const expiresAt = predecessor?.record.result?.metadata?.expires_at;
    if (!predecessor || predecessor.record.state !== 'bound' || (expiresAt && Date.parse(expiresAt) <= Date.now())) {
      throw errors.unprocessable(`predecessor_binding_id ${body.predecessor_binding_id} does not name a live binding of service instance ${instanceId}.`);
    }
    // The spec lets a rotation omit what the predecessor already carries.
    parameters ??= predecessor.record.parameters;
    bindResource ??= predecessor.record.bindResource;
  }
  parameters ??= {};
  checkParameters(catalog, instance.planId, 'binding.create', parameters);

  const requested = bindingAttributes(body, parameters, bindResource, appGuid);
  const target = targets.binding(instanceId, bindingId);
  const busy = instance.operation?.state === 'in progress' ? instance.operation : undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = attempt === 0 ? first.binding : await store.getBinding(instanceId, bindingId);
    const state = existing?.record.state;
    const repeat = existing && (state === 'binding' || state === 'bound') ? existing.record : undefined;
    // While the instance is busy nothing new may start, but a repeat still gets its usual answer.
    if (busy && !repeat) throw errors.concurrency(`Another operation (${busy.kind}) on service instance ${instanceId} is in progress.`);
    if (repeat) return answerRepeat(repeat, requested, input.acceptsIncomplete);
    if (existing && state === 'failed' && fingerprint(existing.record) !== fingerprint(requested)) {
      throw errors.conflict(`Service binding ${bindingId} exists with different attributes (its creation failed); delete it before creating it with others.`);
    }
    const now = Date.now();
    const op = startOperation('bind', { caller: input.caller }, {
      async: input.acceptsIncomplete, owner: runner.owner, leaseMs: options.leaseMs, now, maxDurationSeconds: entry.plan.maximum_polling_duration,
    });
    const record = claim(instanceId, bindingId, requested, body, op);
    const version = await store.putBinding(record, existing?.version ?? null);
    if (version === undefined) continue;
    await store.sync?.();
    const step = await runFirstStep(engine, target, op, existing ? { restore: existing.record } : 'none', { record, version }, instance);
    if (step.kind === 'accepted') return { kind: 'accepted', answer: { operation: op.id } };
    return { kind: 'created', answer: { ...step.record.result } };
  }
  throw errors.concurrency();
}

/** The attributes of a bind request that decide whether a repeat is identical. */
type BindingAttributes = Pick<BindingRecord, 'serviceId' | 'planId' | 'parameters' | 'bindResource' | 'appGuid' | 'predecessorBindingId'>;

function bindingAttributes(body: BindBody, parameters: JsonObject, bindResource: BindResource | undefined, appGuid: string | undefined): BindingAttributes {
  const attributes: BindingAttributes = { serviceId: body.service_id, planId: body.plan_id, parameters };
  if (bindResource) attributes.bindResource = bindResource;
  if (appGuid) attributes.appGuid = appGuid;
  if (body.predecessor_binding_id) attributes.predecessorBindingId = body.predecessor_binding_id;
  return attributes;
}

/** The record that claims the binding id, built whole (see record-shapes.ts). */
function claim(instanceId: string, bindingId: string, requested: BindingAttributes, body: BindBody, op: BindOperation): BindingRecord {
  return {
    instanceId,
    bindingId,
    serviceId: requested.serviceId,
    planId: requested.planId,
    state: 'binding',
    parameters: requested.parameters,
    context: body.context,
    bindResource: requested.bindResource,
    appGuid: requested.appGuid,
    predecessorBindingId: requested.predecessorBindingId,
    result: undefined,
    data: undefined,
    operation: op,
    history: [],
    createdAt: op.startedAt,
    updatedAt: op.startedAt,
  } satisfies Whole<BindingRecord>;
}

/** Of the bind resource only the route counts: a platform may add members of its own to a retry. */
function fingerprint(value: BindingAttributes): string {
  return canonicalJson({
    serviceId: value.serviceId,
    planId: value.planId,
    parameters: value.parameters,
    appGuid: value.appGuid,
    route: value.bindResource?.route,
    predecessorBindingId: value.predecessorBindingId,
  });
}

function answerRepeat(record: BindingRecord, requested: BindingAttributes, acceptsIncomplete: boolean): BindOutcome {
  if (fingerprint(record) !== fingerprint(requested)) {
    throw errors.conflict(`Service binding ${record.bindingId} already exists with different attributes.`);
  }
  if (record.state === 'bound') return { kind: 'exists', answer: { ...record.result } };
  const op = record.operation;
  if (op?.kind === 'bind' && op.state === 'in progress') {
    if (acceptsIncomplete) return { kind: 'accepted', answer: { operation: op.id } };
    throw errors.concurrency(`Service binding ${record.bindingId} is still being created; repeat the request with accepts_incomplete=true to follow it.`);
  }
  throw errors.concurrency(`Service binding ${record.bindingId} is being deleted.`);
}

export const bindSteps: OperationSteps<BindingRecord, BindOperation, BindResult> = {
  deletes: false,

  async call({ broker, catalog, store }, record, op, context, known) {
    if (!broker.bind) throw new Error('the broker has no bind method');
    const request: BindRequest = {
      instance: instanceView(await instanceOfBinding(store, record, known), catalog),
      bindingId: record.bindingId,
      parameters: record.parameters,
      acceptsIncomplete: op.async,
      caller: callerFrom(op.request.caller),
    };
    if (record.context) request.context = record.context;
    if (record.bindResource) request.bindResource = record.bindResource;
    if (record.appGuid !== undefined) request.appGuid = record.appGuid;
    if (record.predecessorBindingId) {
      const predecessor = await store.getBinding(record.instanceId, record.predecessorBindingId);
      if (predecessor) request.predecessor = bindingView(predecessor.record);
    }
    return broker.bind(request, context);
  },

  problems({ catalog }, record, value) {
    return bindResultProblems(value, catalog.offeringOfPlan(record.planId)?.requires ?? []);
  },

  succeeded(record, op, value, now) {
    // The broker's private `data` is kept apart from what the platform is shown. Deleting a
    // member the answer lacks (the common case) leaves its hidden class as it is.
    const bound = value ?? {};
    const shown: BindResult = { ...bound };
    delete shown.data;
    const at = isoTime(now);
    const done = copyBindingRecord(record);
    done.state = 'bound';
    done.result = shown;
    done.operation = finishedOperation(op, 'succeeded', at);
    done.updatedAt = at;
    if (bound.data !== undefined) done.data = bound.data;
    return done;
  },

  failed(record, op, failure, now) {
    const operation = finishedOperation(op, 'failed', isoTime(now));
    operation.description = failure.description;
    // A create that failed leaves something the platform must clean up: it reads as failed.
    return { ...record, state: 'failed', operation, updatedAt: operation.updatedAt };
  },
};

/** Checks what a broker returned from bind against what its catalog declared. */
function bindResultProblems(value: unknown, requires: readonly string[]): string[] {
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
