import type { ProvisionRequest, ProvisionResult } from '../../broker';
import type { PlanEntry } from '../../catalog/catalog';
import { errors } from '../../errors';
import { canonicalJson } from '../../json';
import type { ProvisionAnswer, ProvisionBody } from '../../openapi/wire';
import type { InstanceRecord, ProvisionOperation, StoredCaller } from '../../store/types';
import { callerFrom } from '../caller';
import type { EngineContext } from '../context';
import { runFirstStep } from '../first-step';
import { checkMaintenanceInfo, checkParameters } from '../plan-checks';
import { copyInstanceRecord, finishedOperation, startOperation, type Whole } from '../record-shapes';
import { isoTime, storedPlan } from '../records';
import type { OperationSteps } from '../step';

/**
 * PUT /v2/service_instances/:instance_id. A new id is claimed in the store before the broker
 * is called; a repeat of the same request gets the answer the first got (200, or 202 while
 * it runs), anything else under that id is a conflict.
 */

export interface ProvisionInput {
  instanceId: string;
  body: ProvisionBody;
  /** The catalog entry of body.plan_id, which the handler found to belong to body.service_id. */
  plan: PlanEntry;
  acceptsIncomplete: boolean;
  caller: StoredCaller;
}

export type ProvisionOutcome =
  | { kind: 'created'; answer: ProvisionAnswer }
  /** An identical repeat of a provision that succeeded. */
  | { kind: 'exists'; answer: ProvisionAnswer }
  | { kind: 'accepted'; answer: ProvisionAnswer };

export async function provision(engine: EngineContext, input: ProvisionInput): Promise<ProvisionOutcome> {
  const { store, runner, targets, options } = engine;
  const { body, plan } = input;
  checkMaintenanceInfo(plan, body.maintenance_info?.version);
  const parameters = body.parameters ?? {};
  checkParameters(engine.catalog, plan.plan.id, 'instance.create', parameters);
  const requested = instanceAttributes(input.instanceId, body, parameters);
  const target = targets.instance(input.instanceId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await store.getInstance(input.instanceId);
    const state = existing?.record.state;
    if (existing && (state === 'provisioning' || state === 'provisioned')) return answerRepeat(existing.record, requested, input.acceptsIncomplete);
    // A failed instance still exists for the platform, which owes it a delete: only a retry
    // of the same request may start over, anything else would hide what the failure left.
    if (existing && state === 'failed' && fingerprint(existing.record) !== fingerprint(requested)) {
      throw errors.conflict(
        `Service instance ${input.instanceId} exists with different attributes (its provision failed); delete it before creating it with others.`,
      );
    }
    const now = Date.now();
    const op = startOperation('provision', { caller: input.caller }, {
      async: input.acceptsIncomplete, owner: runner.owner, leaseMs: options.leaseMs, now, maxDurationSeconds: plan.plan.maximum_polling_duration,
    });
    const record = claim(requested, op);
    // A deleted record, or a failed one retried as it was, is replaced: the provision starts afresh.
    const version = await store.putInstance(record, existing?.version ?? null);
    if (version === undefined) continue;
    // The claim must survive a crash before the broker creates anything: otherwise a
    // platform's orphan-mitigating delete would find no record and the resource would leak.
    await store.sync?.();
    const step = await runFirstStep(engine, target, op, existing ? { restore: existing.record } : 'none', { record, version });
    if (step.kind === 'accepted') return { kind: 'accepted', answer: accepted(op.id, step.record) };
    return { kind: 'created', answer: provisioned(step.record) };
  }
  throw errors.concurrency();
}

/** The attributes of a provision request that decide whether a repeat is identical. */
type InstanceAttributes = Pick<
  InstanceRecord,
  'instanceId' | 'serviceId' | 'planId' | 'parameters' | 'context' | 'organizationGuid' | 'spaceGuid' | 'maintenanceInfoVersion'
>;

function instanceAttributes(instanceId: string, body: ProvisionBody, parameters: InstanceRecord['parameters']): InstanceAttributes {
  const attributes: InstanceAttributes = {
    instanceId,
    serviceId: body.service_id,
    planId: body.plan_id,
    parameters,
    organizationGuid: body.organization_guid,
    spaceGuid: body.space_guid,
  };
  if (body.context) attributes.context = body.context;
  if (body.maintenance_info) attributes.maintenanceInfoVersion = body.maintenance_info.version;
  return attributes;
}

/** The context is not compared: a platform may send a changed one with a retry. */
/** The record that claims the instance id, built whole (see record-shapes.ts). */
function claim(requested: InstanceAttributes, op: ProvisionOperation): InstanceRecord {
  return {
    instanceId: requested.instanceId,
    serviceId: requested.serviceId,
    planId: requested.planId,
    state: 'provisioning',
    parameters: requested.parameters,
    context: requested.context,
    organizationGuid: requested.organizationGuid,
    spaceGuid: requested.spaceGuid,
    maintenanceInfoVersion: requested.maintenanceInfoVersion,
    dashboardUrl: undefined,
    metadata: undefined,
    data: undefined,
    operation: op,
    history: [],
    createdAt: op.startedAt,
    updatedAt: op.startedAt,
  } satisfies Whole<InstanceRecord>;
}

function fingerprint(value: InstanceAttributes): string {
  return canonicalJson({
    serviceId: value.serviceId,
    planId: value.planId,
    parameters: value.parameters,
    organizationGuid: value.organizationGuid,
    spaceGuid: value.spaceGuid,
    maintenanceInfoVersion: value.maintenanceInfoVersion,
  });
}

function answerRepeat(record: InstanceRecord, requested: InstanceAttributes, acceptsIncomplete: boolean): ProvisionOutcome {
  if (fingerprint(record) !== fingerprint(requested)) {
    throw errors.conflict(`Service instance ${record.instanceId} already exists with different attributes.`);
  }
  if (record.state === 'provisioned') return { kind: 'exists', answer: provisioned(record) };
  const op = record.operation;
  if (op?.kind === 'provision' && op.state === 'in progress') {
    if (acceptsIncomplete) return { kind: 'accepted', answer: accepted(op.id, record) };
    throw errors.concurrency(`Service instance ${record.instanceId} is still being provisioned; repeat the request with accepts_incomplete=true to follow it.`);
  }
  throw errors.concurrency(`Service instance ${record.instanceId} is being deleted.`);
}

function provisioned(record: InstanceRecord): ProvisionAnswer {
  const answer: ProvisionAnswer = {};
  if (record.dashboardUrl) answer.dashboard_url = record.dashboardUrl;
  if (record.metadata) answer.metadata = record.metadata;
  return answer;
}

/** The spec wants the dashboard URL in the first answer, even when the work goes on. */
function accepted(operation: string, record: InstanceRecord | undefined): ProvisionAnswer {
  return record?.dashboardUrl ? { operation, dashboard_url: record.dashboardUrl } : { operation };
}

export const provisionSteps: OperationSteps<InstanceRecord, ProvisionOperation, ProvisionResult | void> = {
  deletes: false,

  call({ broker, catalog }, record, op, context) {
    const entry = storedPlan(record, catalog);
    const request: ProvisionRequest = {
      instanceId: record.instanceId,
      offering: entry.offering,
      plan: entry.plan,
      parameters: record.parameters,
      organizationGuid: record.organizationGuid ?? '',
      spaceGuid: record.spaceGuid ?? '',
      acceptsIncomplete: op.async,
      caller: callerFrom(op.request.caller),
    };
    if (record.context) request.context = record.context;
    if (record.maintenanceInfoVersion !== undefined) request.maintenanceInfoVersion = record.maintenanceInfoVersion;
    return broker.provision(request, context);
  },

  succeeded(record, op, value, now) {
    const result: ProvisionResult = value ?? {};
    const at = isoTime(now);
    const done = copyInstanceRecord(record);
    done.state = 'provisioned';
    done.dashboardUrl = result.dashboardUrl ?? null;
    done.operation = finishedOperation(op, 'succeeded', at);
    done.updatedAt = at;
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
    // A create that failed leaves something the platform must clean up: it reads as failed.
    return { ...record, state: 'failed', operation, updatedAt: operation.updatedAt };
  },
};
