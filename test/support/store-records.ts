import type { BindingRecord, InstanceRecord, OperationRecord, OperationState } from '../../sdk';
import { PLAN_SMALL, SERVICE_ID } from './fixtures';

/** Records to write into a StateStore, for the store contract and each store's own cases. */

/** One timestamp for every record made here, so two records built alike are equal. */
const NOW = new Date().toISOString();
/** Older than any purge cutoff a test picks. */
export const LONG_AGO = '2001-01-01T00:00:00.000Z';

export function operation(state: OperationState, id = `op-${state.replace(' ', '-')}`): OperationRecord {
  return { id, kind: 'provision', state, async: true, fingerprint: '{}', request: {}, attempts: 0, startedAt: NOW, updatedAt: NOW };
}

export function instance(instanceId: string, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    instanceId,
    serviceId: SERVICE_ID,
    planId: PLAN_SMALL,
    state: 'provisioned',
    parameters: { size: 3 },
    history: [],
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

export function binding(instanceId: string, bindingId: string, overrides: Partial<BindingRecord> = {}): BindingRecord {
  return {
    instanceId,
    bindingId,
    serviceId: SERVICE_ID,
    planId: PLAN_SMALL,
    state: 'bound',
    parameters: {},
    result: { credentials: { username: `u-${bindingId}` } },
    history: [],
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}
