import type { Logger } from 'pino';
import type { ServiceBroker } from '../broker';
import type { Catalog } from '../catalog/catalog';
import { errors, type OsbError } from '../errors';
import { canonicalJson, type JsonObject, type JsonValue } from '../json';
import type { OperationMetrics } from '../metrics';
import type { BindingRecord, InstanceRecord, OperationKind, OperationRecord, ReadIntent, StateStore, Versioned } from '../store/types';
import { bindingView, describeTarget, findOperation, instanceView, isLive, isoTime, newOperation, withOperation, type AnyRecord, type TargetRef } from './records';
import { Runner, type RunnerOptions, type StepOutcome } from './runner';
import type { StoredCaller } from './steps';
import { checkMaintenanceInfo } from '../catalog/maintenance';

/**
 * The SDK's answers to every OSB request that changes or reads state. It decides
 * idempotency (200 / 202 / 409), concurrency (422 ConcurrencyError), existence (404 / 410)
 * and async handling before and after calling the broker. HTTP lives in the handlers.
 */

export interface Outcome {
  status: number;
  body: Record<string, unknown>;
  /** Seconds, for the Retry-After header of last_operation. */
  retryAfter?: number;
}

/**
 * Ids that name something the catalog does not have. On the endpoints that delete or read
 * what exists, this is not final: the spec lets a broker drop a plan (or an offering) while
 * instances of it live on, and the platform still names it when it deletes or polls them.
 * The handler accepts such ids only when they are the stored instance's (requireStoredIds).
 */
export interface UnknownIds {
  serviceId?: string;
  planId?: string;
  /** The answer when the stored instance does not carry these ids. */
  refusal: OsbError;
}

export interface EngineOptions extends RunnerOptions {
  /** How long a request without accepts_incomplete waits for a broker that answered "in progress". */
  syncTimeoutMs: number;
  /** Retry-After when the broker gave no hint. */
  defaultRetryAfterSeconds: number;
}

export interface ProvisionInput {
  instanceId: string;
  serviceId: string;
  planId: string;
  organizationGuid: string;
  spaceGuid: string;
  parameters: JsonObject;
  context?: JsonObject;
  maintenanceInfoVersion?: string;
  acceptsIncomplete: boolean;
  caller: StoredCaller;
}

export interface UpdateInput {
  instanceId: string;
  serviceId: string;
  planId?: string;
  parameters?: JsonObject;
  context?: JsonObject;
  maintenanceInfoVersion?: string;
  previousValues?: JsonObject;
  acceptsIncomplete: boolean;
  caller: StoredCaller;
}

export interface DeleteInput {
  instanceId: string;
  serviceId: string;
  planId: string;
  acceptsIncomplete: boolean;
  caller: StoredCaller;
}

export interface BindInput {
  instanceId: string;
  bindingId: string;
  serviceId: string;
  planId: string;
  parameters?: JsonObject;
  context?: JsonObject;
  bindResource?: JsonObject;
  appGuid?: string;
  predecessorBindingId?: string;
  acceptsIncomplete: boolean;
  caller: StoredCaller;
}

export interface UnbindInput extends DeleteInput {
  bindingId: string;
}

const FOR_WRITE: ReadIntent = { forWrite: true };

export class Engine {
  readonly runner: Runner;

  constructor(
    private readonly store: StateStore,
    private readonly catalog: Catalog,
    private readonly broker: ServiceBroker,
    private readonly logger: Logger,
    private readonly options: EngineOptions,
    metrics?: OperationMetrics,
  ) {
    this.runner = new Runner({ broker, catalog, store, logger, ...(metrics ? { metrics } : {}) }, options);
  }

  async start(): Promise<void> {
    const resumed = await this.runner.resumeOrphans();
    if (resumed > 0) this.logger.info({ resumed }, 'resumed unfinished operations');
    this.runner.startScanning();
  }

  async close(): Promise<void> {
    await this.runner.close();
  }

  // ---- provision -------------------------------------------------------------------------

  async provision(input: ProvisionInput): Promise<Outcome> {
    const ref: TargetRef = { type: 'instance', instanceId: input.instanceId };
    const entry = this.catalog.plan(input.planId)!;
    for (let attempt = 0; attempt < 5; attempt++) {
      // New ids are the common case: try to claim the id first and read only when it is taken.
      const existing = attempt === 0 ? undefined : await this.store.getInstance(input.instanceId);
      if (existing && (existing.record.state === 'provisioning' || existing.record.state === 'provisioned')) {
        return this.answerRepeatedProvision(existing.record, input, input.acceptsIncomplete);
      }
      // A failed instance still exists for the platform, which owes it a delete: only a retry
      // of the same request may start over, anything else would hide what the failure left.
      if (existing?.record.state === 'failed' && instanceFingerprint(existing.record) !== instanceFingerprint(input)) {
        throw errors.conflict(
          `Service instance ${input.instanceId} exists with different attributes (its provision failed); delete it before creating it with others.`,
        );
      }
      const now = Date.now();
      const op = this.newOp('provision', undefined, { caller: input.caller as unknown as JsonValue }, input.acceptsIncomplete, now, entry.plan.maximum_polling_duration);
      const at = isoTime(now);
      const record: InstanceRecord = {
        instanceId: input.instanceId,
        serviceId: input.serviceId,
        planId: input.planId,
        state: 'provisioning',
        parameters: input.parameters,
        organizationGuid: input.organizationGuid,
        spaceGuid: input.spaceGuid,
        operation: op,
        history: [],
        createdAt: at,
        updatedAt: at,
      };
      if (input.context) record.context = input.context;
      if (input.maintenanceInfoVersion !== undefined) record.maintenanceInfoVersion = input.maintenanceInfoVersion;
      // A deleted record, or a failed one retried as it was, is replaced: the provision starts afresh.
      const version = await this.store.putInstance(record, existing?.version ?? null);
      if (version === undefined) continue;
      // The claim must survive a crash before the broker creates anything: otherwise a
      // platform's orphan-mitigating delete would find no record and the resource would leak.
      await this.store.sync?.();
      return this.runFirstStep(ref, op, existing, { record, version }, (done) => {
        const rec = done as InstanceRecord;
        return { status: 201, body: provisionBody(rec) };
      });
    }
    throw errors.concurrency();
  }

  private answerRepeatedProvision(record: InstanceRecord, input: ProvisionInput, acceptsIncomplete: boolean): Outcome {
    if (instanceFingerprint(record) !== instanceFingerprint(input)) {
      throw errors.conflict(`Service instance ${record.instanceId} already exists with different attributes.`);
    }
    if (record.state === 'provisioned') return { status: 200, body: provisionBody(record) };
    const op = record.operation;
    if (op?.kind === 'provision' && op.state === 'in progress') {
      if (acceptsIncomplete) return { status: 202, body: { operation: op.id, ...(record.dashboardUrl ? { dashboard_url: record.dashboardUrl } : {}) } };
      throw errors.concurrency(`Service instance ${record.instanceId} is still being provisioned; repeat the request with accepts_incomplete=true to follow it.`);
    }
    throw errors.concurrency(`Service instance ${record.instanceId} is being deleted.`);
  }

  // ---- update ----------------------------------------------------------------------------

  async update(input: UpdateInput): Promise<Outcome> {
    const ref: TargetRef = { type: 'instance', instanceId: input.instanceId };
    const existing = await this.liveInstance(input.instanceId, 'update');
    const record = existing.record;
    if (record.serviceId !== input.serviceId) {
      throw errors.badRequest(`service_id ${input.serviceId} does not match the service of instance ${input.instanceId}.`);
    }
    const current = this.catalog.plan(record.planId);
    if (!current) throw errors.unprocessable(`The plan of instance ${input.instanceId} is no longer offered; it cannot be updated.`);
    const targetPlanId = input.planId ?? record.planId;
    const target = this.catalog.plan(targetPlanId)!;
    const planChanged = targetPlanId !== record.planId;
    // Without plan_id the handler cannot know the plan, so the stored plan's maintenance_info is checked here.
    if (input.planId === undefined) checkMaintenanceInfo(target, input.maintenanceInfoVersion);
    const fingerprint = canonicalJson({
      planId: targetPlanId,
      parameters: input.parameters,
      context: input.context,
      maintenanceInfoVersion: input.maintenanceInfoVersion,
    });

    const running = record.operation;
    if (running?.state === 'in progress') {
      if (running.kind === 'update' && running.fingerprint === fingerprint && input.acceptsIncomplete) {
        return { status: 202, body: { operation: running.id } };
      }
      throw errors.concurrency(`Another operation (${running.kind}) on service instance ${input.instanceId} is in progress.`);
    }
    if (record.state === 'failed') {
      throw errors.unprocessable(`Service instance ${input.instanceId} failed to provision; delete it and create it again.`);
    }
    if (planChanged && !current.planUpdateable) {
      throw errors.unprocessable(`The plan of service instance ${input.instanceId} cannot be changed: plan "${current.plan.name}" is not plan_updateable.`);
    }
    if (planChanged && target.offering.id !== record.serviceId) {
      throw errors.badRequest(`plan_id ${targetPlanId} belongs to another service offering.`);
    }
    if (input.parameters !== undefined) {
      const problems = this.catalog.validateParameters(targetPlanId, 'instance.update', input.parameters);
      if (problems.length > 0) throw errors.badRequest(`The parameters are invalid: ${problems.join('; ')}.`);
    }
    const contextOnly = !planChanged && input.parameters === undefined && input.maintenanceInfoVersion === undefined;
    if (contextOnly && input.context === undefined) return { status: 200, body: {} };
    if (contextOnly && current.offering.allow_context_updates !== true) {
      if (canonicalJson(input.context) === canonicalJson(record.context)) return { status: 200, body: {} };
      throw errors.unprocessable(`Service offering "${current.offering.name}" does not allow context updates (allow_context_updates is not true).`);
    }
    if (!this.broker.update) throw errors.unprocessable('This service broker does not support updating service instances.');

    const now = Date.now();
    const op = this.newOp(
      'update',
      fingerprint,
      {
        caller: input.caller as unknown as JsonValue,
        planId: targetPlanId,
        ...(input.parameters !== undefined ? { parameters: input.parameters } : {}),
        ...(input.context !== undefined ? { context: input.context } : {}),
        ...(input.maintenanceInfoVersion !== undefined ? { maintenanceInfoVersion: input.maintenanceInfoVersion } : {}),
        ...(input.previousValues !== undefined ? { previousValues: input.previousValues } : {}),
      },
      input.acceptsIncomplete,
      now,
      target.plan.maximum_polling_duration,
    );
    const updating = withOperation(record, op, now);
    const version = await this.store.putInstance(updating, existing.version);
    if (version === undefined) throw errors.concurrency(`Service instance ${input.instanceId} changed while the update was being accepted.`);
    return this.runFirstStep(ref, op, existing, { record: updating, version }, (done) => {
      const rec = done as InstanceRecord;
      return { status: 200, body: rec.dashboardUrl ? { dashboard_url: rec.dashboardUrl } : {} };
    });
  }

  // ---- deprovision -----------------------------------------------------------------------

  async deprovision(input: DeleteInput): Promise<Outcome> {
    const ref: TargetRef = { type: 'instance', instanceId: input.instanceId };
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.store.getInstance(input.instanceId, FOR_WRITE);
      if (!existing || !isLive(existing.record)) throw errors.gone();
      const record = existing.record;
      if (record.serviceId !== input.serviceId) {
        throw errors.badRequest(`service_id ${input.serviceId} does not match the service of instance ${input.instanceId}.`);
      }
      const running = record.operation;
      let halting: OperationRecord | undefined;
      if (running?.state === 'in progress') {
        if (running.kind === 'deprovision') {
          if (input.acceptsIncomplete) return { status: 202, body: { operation: running.id } };
          throw errors.concurrency(`Service instance ${input.instanceId} is already being deprovisioned.`);
        }
        if (running.kind !== 'provision') {
          throw errors.concurrency(`Another operation (${running.kind}) on service instance ${input.instanceId} is in progress.`);
        }
        halting = { ...running, haltRequested: true };
      }
      const bindings = (await this.store.listBindings(input.instanceId)).filter((b) => isLive(b.record));
      if (bindings.some((b) => b.record.operation?.state === 'in progress')) {
        throw errors.concurrency(`A binding of service instance ${input.instanceId} is being changed.`);
      }
      if (bindings.length > 0) {
        throw errors.unprocessable(
          `Service instance ${input.instanceId} still has ${bindings.length} binding(s); unbind them before deprovisioning.`,
        );
      }
      const now = Date.now();
      const entry = this.catalog.plan(record.planId);
      const op = this.newOp('deprovision', undefined, { caller: input.caller as unknown as JsonValue }, input.acceptsIncomplete, now, entry?.plan.maximum_polling_duration);
      const base = halting ? { ...record, operation: halting } : record;
      const deleting = withOperation(base, op, now) as InstanceRecord;
      const version = await this.store.putInstance(deleting, existing.version);
      if (version === undefined) continue;
      if (halting) return this.runAfterHalt(ref, op, halting, { status: 200, body: {} });
      return this.runFirstStep(ref, op, existing, { record: deleting, version }, (_done, gone) => ({ status: gone ? 410 : 200, body: {} }));
    }
    throw errors.concurrency();
  }

  // ---- bind ------------------------------------------------------------------------------

  async bind(input: BindInput): Promise<Outcome> {
    const ref: TargetRef = { type: 'binding', instanceId: input.instanceId, bindingId: input.bindingId };
    const instance = await this.liveInstance(input.instanceId, 'bind');
    const inst = instance.record;
    if (inst.serviceId !== input.serviceId) {
      throw errors.badRequest(`service_id ${input.serviceId} does not match the service of instance ${input.instanceId}.`);
    }
    if (inst.planId !== input.planId) {
      throw errors.badRequest(`plan_id ${input.planId} does not match the plan of instance ${input.instanceId}.`);
    }
    if (inst.state === 'failed') throw errors.unprocessable(`Service instance ${input.instanceId} failed to provision and cannot be bound.`);
    if (inst.state === 'provisioning') throw errors.concurrency(`Service instance ${input.instanceId} is still being provisioned.`);
    const entry = this.catalog.plan(inst.planId);
    if (!entry) throw errors.unprocessable(`The plan of instance ${input.instanceId} is no longer offered.`);
    if (!entry.bindable) throw errors.unprocessable(`Plan "${entry.plan.name}" of service "${entry.offering.name}" is not bindable.`);
    const appGuid = input.appGuid ?? (typeof input.bindResource?.app_guid === 'string' ? input.bindResource.app_guid : undefined);
    if (!appGuid && this.broker.requiresApp?.(entry.plan)) throw errors.requiresApp();

    let parameters = input.parameters;
    let bindResource = input.bindResource;
    if (input.predecessorBindingId !== undefined) {
      if (!entry.bindingRotatable) {
        throw errors.unprocessable(`Plan "${entry.plan.name}" does not allow binding rotation (binding_rotatable is not true).`);
      }
      const predecessor = await this.store.getBinding(input.instanceId, input.predecessorBindingId);
      const expiresAt = predecessor?.record.result?.metadata?.expires_at;
      if (!predecessor || predecessor.record.state !== 'bound' || (expiresAt && Date.parse(expiresAt) <= Date.now())) {
        throw errors.unprocessable(`predecessor_binding_id ${input.predecessorBindingId} does not name a live binding of service instance ${input.instanceId}.`);
      }
      // The spec lets a rotation omit what the predecessor already carries.
      parameters ??= predecessor.record.parameters;
      bindResource ??= predecessor.record.bindResource;
    }
    parameters ??= {};
    const problems = this.catalog.validateParameters(inst.planId, 'binding.create', parameters);
    if (problems.length > 0) throw errors.badRequest(`The parameters are invalid: ${problems.join('; ')}.`);

    const draft: BindingAttributes = { serviceId: input.serviceId, planId: input.planId, parameters };
    if (bindResource) draft.bindResource = bindResource;
    if (appGuid) draft.appGuid = appGuid;
    if (input.predecessorBindingId) draft.predecessorBindingId = input.predecessorBindingId;
    const busy = inst.operation?.state === 'in progress' ? inst.operation : undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      // New ids are the common case: claim first, read only when the id is taken. While the
      // instance is busy nothing new may start, but a repeat still gets its usual answer.
      const existing = attempt === 0 && !busy ? undefined : await this.store.getBinding(input.instanceId, input.bindingId);
      if (busy && !(existing && (existing.record.state === 'binding' || existing.record.state === 'bound'))) {
        throw errors.concurrency(`Another operation (${busy.kind}) on service instance ${input.instanceId} is in progress.`);
      }
      if (existing && (existing.record.state === 'binding' || existing.record.state === 'bound')) {
        return this.answerRepeatedBind(existing.record, draft, input.acceptsIncomplete);
      }
      if (existing?.record.state === 'failed' && bindingFingerprint(existing.record) !== bindingFingerprint(draft)) {
        throw errors.conflict(
          `Service binding ${input.bindingId} exists with different attributes (its creation failed); delete it before creating it with others.`,
        );
      }
      const now = Date.now();
      const op = this.newOp('bind', undefined, { caller: input.caller as unknown as JsonValue }, input.acceptsIncomplete, now, entry.plan.maximum_polling_duration);
      const at = isoTime(now);
      const record: BindingRecord = {
        instanceId: input.instanceId,
        bindingId: input.bindingId,
        ...draft,
        state: 'binding',
        operation: op,
        history: [],
        createdAt: at,
        updatedAt: at,
      };
      if (input.context) record.context = input.context;
      const version = await this.store.putBinding(record, existing?.version ?? null);
      if (version === undefined) continue;
      await this.store.sync?.();
      return this.runFirstStep(ref, op, existing, { record, version }, (done) => ({ status: 201, body: bindBody(done as BindingRecord) }), inst);
    }
    throw errors.concurrency();
  }

  private answerRepeatedBind(record: BindingRecord, draft: BindingAttributes, acceptsIncomplete: boolean): Outcome {
    if (bindingFingerprint(record) !== bindingFingerprint(draft)) {
      throw errors.conflict(`Service binding ${record.bindingId} already exists with different attributes.`);
    }
    if (record.state === 'bound') return { status: 200, body: bindBody(record) };
    const op = record.operation;
    if (op?.kind === 'bind' && op.state === 'in progress') {
      if (acceptsIncomplete) return { status: 202, body: { operation: op.id } };
      throw errors.concurrency(`Service binding ${record.bindingId} is still being created; repeat the request with accepts_incomplete=true to follow it.`);
    }
    throw errors.concurrency(`Service binding ${record.bindingId} is being deleted.`);
  }

  // ---- unbind ----------------------------------------------------------------------------

  async unbind(input: UnbindInput): Promise<Outcome> {
    const ref: TargetRef = { type: 'binding', instanceId: input.instanceId, bindingId: input.bindingId };
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.store.getBinding(input.instanceId, input.bindingId);
      if (!existing || !isLive(existing.record)) throw errors.gone();
      const record = existing.record;
      if (record.serviceId !== input.serviceId) {
        throw errors.badRequest(`service_id ${input.serviceId} does not match the service of binding ${input.bindingId}.`);
      }
      const running = record.operation;
      let halting: OperationRecord | undefined;
      if (running?.state === 'in progress') {
        if (running.kind === 'unbind') {
          if (input.acceptsIncomplete) return { status: 202, body: { operation: running.id } };
          throw errors.concurrency(`Service binding ${input.bindingId} is already being deleted.`);
        }
        halting = { ...running, haltRequested: true };
      }
      const instance = await this.store.getInstance(input.instanceId);
      const entry = instance ? this.catalog.plan(instance.record.planId) : undefined;
      const now = Date.now();
      const op = this.newOp('unbind', undefined, { caller: input.caller as unknown as JsonValue }, input.acceptsIncomplete, now, entry?.plan.maximum_polling_duration);
      const base = halting ? { ...record, operation: halting } : record;
      const unbinding = withOperation(base, op, now) as BindingRecord;
      const version = await this.store.putBinding(unbinding, existing.version);
      if (version === undefined) continue;
      if (halting) return this.runAfterHalt(ref, op, halting, { status: 200, body: {} });
      return this.runFirstStep(ref, op, existing, { record: unbinding, version }, (_done, gone) => ({ status: gone ? 410 : 200, body: {} }), instance?.record);
    }
    throw errors.concurrency();
  }

  // ---- reads -----------------------------------------------------------------------------

  async fetchInstance(instanceId: string): Promise<Outcome> {
    const found = await this.store.getInstance(instanceId);
    const record = found?.record;
    if (!record || record.state !== 'provisioned') {
      throw errors.notFound(`Service instance ${instanceId} does not exist${record?.state === 'provisioning' ? ' yet: it is still being provisioned' : ''}.`);
    }
    if (record.operation?.state === 'in progress' && record.operation.kind === 'update') {
      throw errors.concurrency(`Service instance ${instanceId} is being updated.`);
    }
    const view = instanceView(record, this.catalog);
    if (!view.offering.instances_retrievable || !this.broker.getInstance) {
      throw errors.badRequest(`Service offering "${view.offering.name}" does not support fetching instances (instances_retrievable is not true).`);
    }
    const shown = await this.broker.getInstance(view);
    return {
      status: 200,
      body: {
        service_id: record.serviceId,
        plan_id: record.planId,
        ...(shown.dashboardUrl ? { dashboard_url: shown.dashboardUrl } : {}),
        ...(shown.parameters ? { parameters: shown.parameters } : {}),
        ...(record.maintenanceInfoVersion ? { maintenance_info: { version: record.maintenanceInfoVersion } } : {}),
        ...(shown.metadata ? { metadata: shown.metadata } : {}),
      },
    };
  }

  async fetchBinding(instanceId: string, bindingId: string): Promise<Outcome> {
    const found = await this.store.getBinding(instanceId, bindingId);
    const record = found?.record;
    if (!record || record.state !== 'bound') {
      throw errors.notFound(`Service binding ${bindingId} does not exist${record?.state === 'binding' ? ' yet: it is still being created' : ''}.`);
    }
    const instance = await this.store.getInstance(instanceId);
    if (!instance) throw errors.notFound(`Service instance ${instanceId} does not exist.`);
    const view = instanceView(instance.record, this.catalog);
    if (!view.offering.bindings_retrievable || !this.broker.getBinding) {
      throw errors.badRequest(`Service offering "${view.offering.name}" does not support fetching bindings (bindings_retrievable is not true).`);
    }
    const shown = await this.broker.getBinding(bindingView(record), view);
    return { status: 200, body: { ...(shown as Record<string, unknown>) } };
  }

  /**
   * Ids the catalog no longer has are accepted on the endpoints that delete or read what
   * exists when they are those of the stored instance; otherwise the catalog's refusal stands.
   * Rare (a plan removed while instances of it live on), so the extra read is no burden.
   */
  async requireStoredIds(instanceId: string, unknown: UnknownIds): Promise<void> {
    const record = (await this.store.getInstance(instanceId))?.record;
    const stored = record !== undefined
      && (unknown.serviceId === undefined || unknown.serviceId === record.serviceId)
      && (unknown.planId === undefined || unknown.planId === record.planId);
    if (!stored) throw unknown.refusal;
  }

  async lastOperation(ref: TargetRef, operationId: string | undefined): Promise<Outcome> {
    const found = await this.runner.load(ref);
    if (!found) throw errors.notFound(`The ${describeTarget(ref)} does not exist.`);
    const op = findOperation(found.record, operationId);
    if (!op) {
      if (operationId !== undefined) throw errors.badRequest(`operation ${JSON.stringify(operationId)} is not an operation of the ${describeTarget(ref)}.`);
      throw errors.notFound(`The ${describeTarget(ref)} does not exist.`);
    }
    const body: Record<string, unknown> = { state: op.state };
    if (op.description) body.description = op.description;
    if (op.state === 'failed' && ref.type === 'instance') {
      if (op.instanceUsable !== undefined) body.instance_usable = op.instanceUsable;
      if (op.updateRepeatable !== undefined) body.update_repeatable = op.updateRepeatable;
    }
    return {
      status: 200,
      body,
      // Retry-After carries whole seconds.
      ...(op.state === 'in progress' ? { retryAfter: Math.ceil(op.retryAfterSeconds ?? this.options.defaultRetryAfterSeconds) } : {}),
    };
  }

  // ---- shared machinery ------------------------------------------------------------------

  private newOp(kind: OperationKind, fingerprint: string | undefined, request: JsonObject, async: boolean, now: number, maxDurationSeconds?: number): OperationRecord {
    return newOperation({ kind, fingerprint, request, async, owner: this.runner.owner, leaseMs: this.options.leaseMs, now, maxDurationSeconds });
  }

  /** The instance a bind or an update is about to change (or to add a binding to). */
  private async liveInstance(instanceId: string, action: string): Promise<Versioned<InstanceRecord>> {
    const found = await this.store.getInstance(instanceId, FOR_WRITE);
    if (!found || !isLive(found.record)) throw errors.notFound(`Service instance ${instanceId} does not exist; it cannot ${action === 'bind' ? 'be bound' : 'be updated'}.`);
    return found;
  }

  /**
   * Runs the first step in the request. A refusal (4xx) from the broker restores the record
   * as it was, so a rejected request changes nothing; async work continues in the background.
   */
  private async runFirstStep(
    ref: TargetRef,
    op: OperationRecord,
    before: Versioned<AnyRecord> | undefined,
    written: Versioned<AnyRecord> | undefined,
    success: (record: AnyRecord, gone: boolean) => Outcome,
    instanceHint?: InstanceRecord,
  ): Promise<Outcome> {
    let outcome = await this.runner.runStep(ref, op.id, written, instanceHint);
    if (outcome.kind === 'in progress' && op.async) {
      this.runner.drive(ref, op.id, outcome.retryAfterMs);
      // An update sends a dashboard URL only when its first step gave a new one; without one the platform keeps the old.
      const shown = 'dashboardUrl' in outcome.record ? outcome.record.dashboardUrl : undefined;
      const previous = written && 'dashboardUrl' in written.record ? written.record.dashboardUrl : undefined;
      const dashboardUrl = op.kind === 'provision' || (op.kind === 'update' && shown !== previous) ? shown : undefined;
      return { status: 202, body: { operation: op.id, ...(dashboardUrl ? { dashboard_url: dashboardUrl } : {}) } };
    }
    if (outcome.kind === 'in progress') outcome = await this.driveInline(ref, op.id, outcome);
    switch (outcome.kind) {
      case 'succeeded':
        return success(outcome.record, outcome.gone === true);
      case 'failed':
        if (outcome.error && outcome.error.status >= 400 && outcome.error.status < 500) {
          // A delete that halted a create has no earlier state to return to ("never existed" would
          // make the platform forget what the broker kept): its failure stays recorded instead.
          if (before || op.kind === 'provision' || op.kind === 'bind') await this.restore(ref, op.id, before);
          throw outcome.error;
        }
        // The 500 hides the broker's message from the client; the request's log line keeps it.
        throw outcome.error ?? errors.internal(outcome.cause);
      case 'halted':
        if (op.async) return { status: 202, body: { operation: op.id } };
        throw errors.concurrency(`The ${describeTarget(ref)} was deleted while this request ran.`);
      case 'in progress':
        // The next step may be due later than the limit allows: then this answer comes at once.
        this.runner.drive(ref, op.id, outcome.retryAfterMs);
        throw errors.unavailable(
          `The operation is still running and cannot finish within the ${this.options.syncTimeoutMs / 1000} s a request without accepts_incomplete=true may take; repeat the request with accepts_incomplete=true to follow it.`,
        );
      case 'lost':
        throw errors.concurrency(`The ${describeTarget(ref)} was changed by another request.`);
    }
  }

  /** The platform did not accept async answers: keep stepping within the request, up to a deadline. */
  private async driveInline(ref: TargetRef, opId: string, first: StepOutcome & { kind: 'in progress' }): Promise<StepOutcome> {
    const deadline = Date.now() + this.options.syncTimeoutMs;
    let outcome: StepOutcome = first;
    while (outcome.kind === 'in progress' && Date.now() + outcome.retryAfterMs < deadline) {
      await this.runner.sleep(outcome.retryAfterMs);
      outcome = await this.runner.runStep(ref, opId);
    }
    return outcome;
  }

  private async restore(ref: TargetRef, opId: string, before: Versioned<AnyRecord> | undefined): Promise<void> {
    await this.runner.mutate(ref, (record) => {
      if (findOperation(record, opId) === undefined) return undefined;
      if (before) return before.record;
      // It did not exist before this request: leave a record that reads as "never existed".
      return { ...record, state: 'deleted', operation: undefined, history: [] } as AnyRecord;
    });
  }

  /** A delete that halted a running create: wait for the create to stop, then delete. */
  private async runAfterHalt(ref: TargetRef, op: OperationRecord, halted: OperationRecord, success: Outcome): Promise<Outcome> {
    this.runner.abortLocal(halted.id);
    this.logger.info({ operation: op.id, halted: halted.id }, 'a delete request halts a create in progress');
    if (op.async) {
      this.runner.drive(ref, op.id, 0);
      return { status: 202, body: { operation: op.id } };
    }
    const deadline = Date.now() + this.options.syncTimeoutMs;
    for (;;) {
      const current = await this.runner.load(ref);
      if (!current) throw errors.gone();
      if (!(await this.runner.settleHaltedCreate(ref, current.record))) break;
      if (Date.now() > deadline) {
        this.runner.drive(ref, op.id, 0);
        throw errors.unavailable('The create being halted has not stopped yet; repeat the request with accepts_incomplete=true to follow it.');
      }
      await this.runner.sleep(50);
    }
    return this.runFirstStep(ref, op, undefined, undefined, (_done, gone) => (gone ? { status: 410, body: {} } : success));
  }
}

function instanceFingerprint(value: {
  serviceId: string;
  planId: string;
  parameters: JsonObject;
  organizationGuid?: string;
  spaceGuid?: string;
  maintenanceInfoVersion?: string;
}): string {
  return canonicalJson({
    serviceId: value.serviceId,
    planId: value.planId,
    parameters: value.parameters,
    organizationGuid: value.organizationGuid,
    spaceGuid: value.spaceGuid,
    maintenanceInfoVersion: value.maintenanceInfoVersion,
  });
}

/** The attributes of a bind request that decide whether a repeat is identical. */
interface BindingAttributes {
  serviceId: string;
  planId: string;
  parameters: JsonObject;
  bindResource?: JsonObject;
  appGuid?: string;
  predecessorBindingId?: string;
}

function bindingFingerprint(value: BindingAttributes): string {
  return canonicalJson({
    serviceId: value.serviceId,
    planId: value.planId,
    parameters: value.parameters,
    appGuid: value.appGuid,
    route: value.bindResource?.route,
    predecessorBindingId: value.predecessorBindingId,
  });
}

function provisionBody(record: InstanceRecord): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (record.dashboardUrl) body.dashboard_url = record.dashboardUrl;
  if (record.metadata) body.metadata = record.metadata;
  return body;
}

function bindBody(record: BindingRecord): Record<string, unknown> {
  return { ...(record.result ?? {}) };
}

