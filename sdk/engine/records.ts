import { randomUUID } from 'node:crypto';
import type { BindingView, InstanceView, OsbContext } from '../broker';
import type { Catalog } from '../catalog/catalog';
import type { JsonObject } from '../json';
import type { BindingRecord, InstanceRecord, OperationKind, OperationRecord } from '../store/types';

/** Pure helpers over stored records: no I/O here, so the rules are easy to read and test. */

export type AnyRecord = InstanceRecord | BindingRecord;

export type TargetRef =
  | { type: 'instance'; instanceId: string }
  | { type: 'binding'; instanceId: string; bindingId: string };

const HISTORY_LIMIT = 10;

export function newOperation(options: {
  kind: OperationKind;
  fingerprint?: string;
  request: JsonObject;
  async: boolean;
  owner: string;
  leaseMs: number;
  maxDurationSeconds?: number;
  now: number;
}): OperationRecord {
  const at = new Date(options.now).toISOString();
  return {
    id: `${options.kind}-${randomUUID()}`,
    kind: options.kind,
    state: 'in progress',
    async: options.async,
    ...(options.fingerprint !== undefined ? { fingerprint: options.fingerprint } : {}),
    request: options.request,
    owner: options.owner,
    leaseUntil: options.now + options.leaseMs,
    ...(options.maxDurationSeconds ? { deadline: options.now + options.maxDurationSeconds * 1000 } : {}),
    attempts: 0,
    startedAt: at,
    updatedAt: at,
  };
}

/** Puts `op` in charge of the record and moves the previous operation into the history. */
export function withOperation<T extends AnyRecord>(record: T, op: OperationRecord, now: number): T {
  const history = record.operation ? [record.operation, ...record.history].slice(0, HISTORY_LIMIT) : record.history;
  return { ...record, operation: op, history, updatedAt: new Date(now).toISOString() };
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

export function instanceView(record: InstanceRecord, catalog: Catalog): InstanceView {
  const entry = catalog.plan(record.planId);
  if (!entry) throw new Error(`stored instance ${record.instanceId} has plan ${record.planId}, which is not in the catalog`);
  return {
    instanceId: record.instanceId,
    offering: entry.offering,
    plan: entry.plan,
    parameters: record.parameters,
    ...(record.context ? { context: record.context as OsbContext } : {}),
    ...(record.organizationGuid !== undefined ? { organizationGuid: record.organizationGuid } : {}),
    ...(record.spaceGuid !== undefined ? { spaceGuid: record.spaceGuid } : {}),
    ...(record.maintenanceInfoVersion !== undefined ? { maintenanceInfoVersion: record.maintenanceInfoVersion } : {}),
    ...(record.dashboardUrl !== undefined ? { dashboardUrl: record.dashboardUrl } : {}),
    ...(record.metadata !== undefined ? { metadata: record.metadata } : {}),
    ...(record.data !== undefined ? { data: record.data } : {}),
  };
}

export function bindingView(record: BindingRecord): BindingView {
  return {
    instanceId: record.instanceId,
    bindingId: record.bindingId,
    parameters: record.parameters,
    ...(record.context ? { context: record.context as OsbContext } : {}),
    ...(record.bindResource ? { bindResource: record.bindResource } : {}),
    ...(record.appGuid !== undefined ? { appGuid: record.appGuid } : {}),
    ...(record.predecessorBindingId !== undefined ? { predecessorBindingId: record.predecessorBindingId } : {}),
    ...(record.result ? { result: record.result } : {}),
    ...(record.data !== undefined ? { data: record.data } : {}),
  };
}

export function describeTarget(ref: TargetRef): string {
  return ref.type === 'instance' ? `instance ${ref.instanceId}` : `binding ${ref.bindingId} of instance ${ref.instanceId}`;
}
