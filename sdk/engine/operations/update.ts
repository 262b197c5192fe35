import type { UpdateResult } from '../../broker';
import type { PlanEntry } from '../../catalog/catalog';
import { errors } from '../../errors';
import { canonicalJson } from '../../json';
import type { UpdateAnswer, UpdateBody } from '../../openapi/wire';
import type { InstanceRecord, StoredCaller, UpdateOperation, UpdateOperationRequest } from '../../store/types';
import { callerFrom } from '../caller';
import type { EngineContext } from '../context';
import { runFirstStep } from '../first-step';
import { checkMaintenanceInfo, checkParameters } from '../plan-checks';
import { copyInstanceRecord, finishedOperation, startOperation } from '../record-shapes';
import { instanceView, isLive, isoTime, withOperation } from '../records';
import type { OperationSteps } from '../step';

/**
 * PATCH /v2/service_instances/:instance_id. Changes the plan, the parameters, the context or
 * the maintenance version of a live instance, when the catalog allows that change; a repeat
 * of an update still running gets its 202 again.
 */

export interface UpdateInput {
  instanceId: string;
  body: UpdateBody;
  /** The catalog entry of body.plan_id when the request names a plan. */
  plan?: PlanEntry;
  acceptsIncomplete: boolean;
  caller: StoredCaller;
}

export type UpdateOutcome =
  /** Done, or nothing to do. */
  | { kind: 'updated'; answer: UpdateAnswer }
  | { kind: 'accepted'; answer: UpdateAnswer };

const NOTHING_TO_DO: UpdateOutcome = { kind: 'updated', answer: {} };

export async function update(engine: EngineContext, input: UpdateInput): Promise<UpdateOutcome> {
  const { catalog, store, runner, targets, options } = engine;
  const { instanceId, body } = input;
  const maintenanceInfoVersion = body.maintenance_info?.version;
  if (input.plan) checkMaintenanceInfo(input.plan, maintenanceInfoVersion);
  else {
    // previous_values is only a hint, checked when it names a plan; the stored plan decides below.
    const previousPlanId = body.previous_values?.plan_id;
    const previousPlan = typeof previousPlanId === 'string' ? catalog.plan(previousPlanId) : undefined;
    if (previousPlan) checkMaintenanceInfo(previousPlan, maintenanceInfoVersion);
  }

  const found = await store.getInstance(instanceId, { forWrite: true });
  if (!found || !isLive(found.record)) throw errors.notFound(`Service instance ${instanceId} does not exist; it cannot be updated.`);
  const record = found.record;
  if (record.serviceId !== body.service_id) {
    throw errors.badRequest(`service_id ${body.service_id} does not match the service of instance ${instanceId}.`);
  }
  const current = catalog.plan(record.planId);
  if (!current) throw errors.unprocessable(`The plan of instance ${instanceId} is no longer offered; it cannot be updated.`);
  const target = input.plan ?? current;
  const planChanged = target.plan.id !== record.planId;
  // Without plan_id the handler cannot know the plan, so the stored plan's maintenance_info is checked here.
  if (!input.plan) checkMaintenanceInfo(target, maintenanceInfoVersion);
  const request: UpdateOperationRequest = { caller: input.caller, planId: target.plan.id };
  if (body.parameters !== undefined) request.parameters = body.parameters;
  if (body.context !== undefined) request.context = body.context;
  if (maintenanceInfoVersion !== undefined) request.maintenanceInfoVersion = maintenanceInfoVersion;
  if (body.previous_values !== undefined) request.previousValues = body.previous_values;
  const fingerprint = canonicalJson({ planId: request.planId, parameters: request.parameters, context: request.context, maintenanceInfoVersion });

  const running = record.operation;
  if (running?.state === 'in progress') {
    if (running.kind === 'update' && running.fingerprint === fingerprint && input.acceptsIncomplete) {
      return { kind: 'accepted', answer: { operation: running.id } };
    }
    throw errors.concurrency(`Another operation (${running.kind}) on service instance ${instanceId} is in progress.`);
  }
  if (record.state === 'failed') {
    throw errors.unprocessable(`Service instance ${instanceId} failed to provision; delete it and create it again.`);
  }
  if (planChanged && !current.planUpdateable) {
    throw errors.unprocessable(`The plan of service instance ${instanceId} cannot be changed: plan "${current.plan.name}" is not plan_updateable.`);
  }
  if (planChanged && target.offering.id !== record.serviceId) {
    throw errors.badRequest(`plan_id ${target.plan.id} belongs to another service offering.`);
  }
  if (body.parameters !== undefined) checkParameters(catalog, target.plan.id, 'instance.update', body.parameters);
  const contextOnly = !planChanged && body.parameters === undefined && maintenanceInfoVersion === undefined;
  if (contextOnly && body.context === undefined) return NOTHING_TO_DO;
  if (contextOnly && current.offering.allow_context_updates !== true) {
    if (canonicalJson(body.context) === canonicalJson(record.context)) return NOTHING_TO_DO;
    throw errors.unprocessable(`Service offering "${current.offering.name}" does not allow context updates (allow_context_updates is not true).`);
  }
  if (!engine.broker.update) throw errors.unprocessable('This service broker does not support updating service instances.');

  const now = Date.now();
  const op = startOperation('update', request, {
    async: input.acceptsIncomplete, owner: runner.owner, leaseMs: options.leaseMs, now, maxDurationSeconds: target.plan.maximum_polling_duration, fingerprint,
  });
  const updating = withOperation(record, op);
  const version = await store.putInstance(updating, found.version);
  if (version === undefined) throw errors.concurrency(`Service instance ${instanceId} changed while the update was being accepted.`);
  const step = await runFirstStep(engine, targets.instance(instanceId), op, { restore: record }, { record: updating, version });
  if (step.kind === 'finished') return { kind: 'updated', answer: step.record.dashboardUrl ? { dashboard_url: step.record.dashboardUrl } : {} };
  // The platform keeps the dashboard URL it has unless the first step gave a new one.
  const shown = step.record?.dashboardUrl;
  return { kind: 'accepted', answer: shown && shown !== updating.dashboardUrl ? { operation: op.id, dashboard_url: shown } : { operation: op.id } };
}

export const updateSteps: OperationSteps<InstanceRecord, UpdateOperation, UpdateResult | void> = {
  deletes: false,

  call({ broker, catalog }, record, op, context) {
    if (!broker.update) throw new Error('the broker has no update method');
    const view = instanceView(record, catalog);
    const { request } = op;
    const target = catalog.plan(request.planId);
    if (!target) throw new Error(`plan ${request.planId} is no longer in the catalog`);
    return broker.update(
      {
        instance: view,
        plan: target.plan,
        previousPlan: view.plan,
        planChanged: target.plan.id !== view.plan.id,
        ...(request.parameters ? { parameters: request.parameters } : {}),
        ...(request.context ? { context: request.context } : {}),
        ...(request.maintenanceInfoVersion !== undefined ? { maintenanceInfoVersion: request.maintenanceInfoVersion } : {}),
        ...(request.previousValues ? { previousValues: request.previousValues } : {}),
        acceptsIncomplete: op.async,
        caller: callerFrom(request.caller),
      },
      context,
    );
  },

  succeeded(record, op, value, now) {
    const { request } = op;
    const result: UpdateResult = value ?? {};
    const at = isoTime(now);
    const done = copyInstanceRecord(record);
    done.planId = request.planId;
    if (request.parameters) done.parameters = { ...record.parameters, ...request.parameters };
    done.operation = finishedOperation(op, 'succeeded', at);
    done.updatedAt = at;
    if (request.context) done.context = request.context;
    if (request.maintenanceInfoVersion !== undefined) done.maintenanceInfoVersion = request.maintenanceInfoVersion;
    // The spec: an absent or null dashboard_url on update means "keep the old one".
    if (result.dashboardUrl) done.dashboardUrl = result.dashboardUrl;
    if (result.metadata) done.metadata = result.metadata;
    if (result.data !== undefined) done.data = result.data;
    return done;
  },

  progressed(record, progress) {
    return progress.dashboardUrl ? { ...record, dashboardUrl: progress.dashboardUrl } : record;
  },

  failed(record, op, failure, now) {
    const operation = finishedOperation(op, 'failed', isoTime(now));
    operation.description = failure.description;
    if (failure.instanceUsable !== undefined) operation.instanceUsable = failure.instanceUsable;
    if (failure.updateRepeatable !== undefined) operation.updateRepeatable = failure.updateRepeatable;
    return { ...record, operation, updatedAt: operation.updatedAt };
  },
};
