import type { BindingView, InstanceView } from '../broker';
import type { Catalog, PlanEntry, ServiceOffering, ServicePlan } from '../catalog/catalog';
import { deepFreeze } from '../json';
import type { BindingRecord, InstanceRecord, OperationRecord } from '../store/types';

/** Pure helpers over stored records: no I/O here, so the rules are easy to read and test. */

export type AnyRecord = InstanceRecord | BindingRecord;

export type TargetRef =
  | { type: 'instance'; instanceId: string }
  | { type: 'binding'; instanceId: string; bindingId: string };

const HISTORY_LIMIT = 10;

/** The ISO 8601 form records keep their times in. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Puts `op` in charge of the record and moves the previous operation into the history. */
export function withOperation<T extends AnyRecord>(record: T, op: OperationRecord): T {
  const history = record.operation ? [record.operation, ...record.history].slice(0, HISTORY_LIMIT) : record.history;
  return { ...record, operation: op, history, updatedAt: op.startedAt };
}

/** The operation an `operation` query value names: the current one or one in the history. */
export function findOperation(record: AnyRecord, operationId: string | undefined): OperationRecord | undefined {
  if (operationId === undefined) return record.operation;
  if (record.operation?.id === operationId) return record.operation;
  return record.history.find((op) => op.id === operationId);
}

export function replaceHistoryEntry<T extends AnyRecord>(record: T, op: OperationRecord): T {
  return { ...record, history: record.history.map((entry) => (entry.id === op.id ? op : entry)) };
}

export function isLive(record: AnyRecord | undefined): boolean {
  return record !== undefined && record.state !== 'deleted';
}

/** The catalog entry of a stored instance's plan; a plan that left the catalog is a broker bug. */
export function storedPlan(record: InstanceRecord, catalog: Catalog): PlanEntry {
  const entry = catalog.plan(record.planId);
  if (!entry) throw new Error(`stored instance ${record.instanceId} has plan ${record.planId}, which is not in the catalog`);
  return entry;
}

/**
 * The catalog entry of a stored instance's plan, or stand-ins with the stored ids when a
 * broker's catalog dropped the plan while instances of it were left: the spec lets brokers
 * remove plans, and platforms then still delete those instances.
 */
function planOrStandIn(record: InstanceRecord, catalog: Catalog): { offering: ServiceOffering; plan: ServicePlan; removed: boolean } {
  const entry = catalog.plan(record.planId);
  if (entry) return { offering: entry.offering, plan: entry.plan, removed: false };
  const plan: ServicePlan = { id: record.planId, name: record.planId, description: 'This plan is no longer in the catalog.' };
  const offering = catalog.offering(record.serviceId) ?? {
    id: record.serviceId,
    name: record.serviceId,
    description: 'This service offering is no longer in the catalog.',
    bindable: false,
    plans: [],
  };
  return { offering, plan, removed: true };
}

/**
 * A stored instance as a broker sees it. What it holds of the record is frozen whatever the
 * store: a store may share its records between readers (SqliteStore does), so a broker that
 * changed them would change what every later request reads.
 */
export function instanceView(record: InstanceRecord, catalog: Catalog): InstanceView {
  const entry = planOrStandIn(record, catalog);
  // Built by assignment rather than conditional spreads: this runs on every step.
  const view: InstanceView = { instanceId: record.instanceId, offering: entry.offering, plan: entry.plan, parameters: deepFreeze(record.parameters) };
  if (entry.removed) view.planRemoved = true;
  if (record.context) view.context = deepFreeze(record.context);
  if (record.organizationGuid !== undefined) view.organizationGuid = record.organizationGuid;
  if (record.spaceGuid !== undefined) view.spaceGuid = record.spaceGuid;
  if (record.maintenanceInfoVersion !== undefined) view.maintenanceInfoVersion = record.maintenanceInfoVersion;
  if (record.dashboardUrl !== undefined) view.dashboardUrl = record.dashboardUrl;
  if (record.metadata !== undefined) view.metadata = deepFreeze(record.metadata);
  if (record.data !== undefined) view.data = deepFreeze(record.data);
  return view;
}

/** A stored binding as a broker sees it, frozen as instanceView is. */
export function bindingView(record: BindingRecord): BindingView {
  const view: BindingView = { instanceId: record.instanceId, bindingId: record.bindingId, parameters: deepFreeze(record.parameters) };
  if (record.context) view.context = deepFreeze(record.context);
  if (record.bindResource) view.bindResource = deepFreeze(record.bindResource);
  if (record.appGuid !== undefined) view.appGuid = record.appGuid;
  if (record.predecessorBindingId !== undefined) view.predecessorBindingId = record.predecessorBindingId;
  if (record.result) view.result = deepFreeze(record.result);
  if (record.data !== undefined) view.data = deepFreeze(record.data);
  return view;
}

export function describeTarget(ref: TargetRef): string {
  return ref.type === 'instance' ? `instance ${ref.instanceId}` : `binding ${ref.bindingId} of instance ${ref.instanceId}`;
}
