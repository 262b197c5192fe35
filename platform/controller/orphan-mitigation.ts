import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  OsbMalformedResponseError, OsbPollingTimeoutError, OsbRequestError, OsbResponseError, OsbTimeoutError, OsbTransportError,
} from '../../sdk/client';
import { BrokerUrlNotAllowed, describeBrokerFailure, describeFailedOperation, type OsbCalls } from './osb-calls';
import type { OrphanMitigationRecord } from './records';
import { timestamp, type ControllerStore } from './store';

/**
 * Orphan mitigation (OSB spec, checklist N.8). The platform is the source of truth: when it
 * cannot be sure whether a broker created something, it deletes it, and keeps asking until
 * the broker confirms. `needsOrphanMitigation` is the spec's table; OrphanMitigator sends
 * the deletes in the background, persists every attempt and resumes after a restart.
 */

export type BrokerRequestKind = 'provision' | 'bind' | 'update' | 'deprovision' | 'unbind';

export type FailureKind =
  /** 200 with a body that breaks the spec. */
  | 'malformed-200'
  /** 201 or 202 with a body that breaks the spec. */
  | 'malformed-201-202'
  /** A 2xx the endpoint does not define (203, 204, 206, ...). */
  | 'other-2xx'
  | 'status-408'
  /** Every other 4xx, including 422 ConcurrencyError. */
  | 'status-4xx'
  | 'status-5xx'
  /** 1xx / 3xx: nothing the spec names. */
  | 'status-other'
  | 'timeout'
  /** The connection was refused or the host not found: the request never arrived. */
  | 'unreachable'
  /** The controller did not send it: its body cannot be serialised, or the broker URL is not allowed. */
  | 'not-sent'
  /** The connection broke after it was made: the broker may have acted on the request. */
  | 'connection-lost'
  | 'last-operation-failed'
  /** Polled for longer than the limit: treated as failed (checklist N.6). */
  | 'polling-timeout'
  /** The controller itself failed while creating the resource. */
  | 'internal-error'
  /** The broker answered success with something the controller must refuse (e.g. invalid volume_mounts). */
  | 'invalid-response';

const NEVER_ARRIVED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function classifyBrokerFailure(error: unknown): FailureKind {
  if (error instanceof OsbRequestError || error instanceof BrokerUrlNotAllowed) return 'not-sent';
  if (error instanceof OsbResponseError) {
    if (error.status >= 200 && error.status < 300) return 'other-2xx';
    if (error.status === 408) return 'status-408';
    if (error.status >= 400 && error.status < 500) return 'status-4xx';
    if (error.status >= 500) return 'status-5xx';
    return 'status-other';
  }
  if (error instanceof OsbMalformedResponseError) return error.status === 200 ? 'malformed-200' : 'malformed-201-202';
  if (error instanceof OsbTimeoutError) return 'timeout';
  if (error instanceof OsbTransportError) return NEVER_ARRIVED.has(error.causeMessage) ? 'unreachable' : 'connection-lost';
  if (error instanceof OsbPollingTimeoutError) return 'polling-timeout';
  return 'internal-error';
}

const CREATE_MITIGATED = new Set<FailureKind>([
  'malformed-201-202', 'other-2xx', 'status-5xx', 'timeout', 'connection-lost', 'last-operation-failed', 'polling-timeout',
  'internal-error', 'invalid-response',
]);
const DELETE_MITIGATED = new Set<FailureKind>(['other-2xx', 'status-5xx', 'last-operation-failed', 'polling-timeout']);

/** The spec's table: whether a failure of this request must be followed by a DELETE. */
export function needsOrphanMitigation(request: BrokerRequestKind, failure: FailureKind): boolean {
  switch (request) {
    case 'provision':
    case 'bind':
      return CREATE_MITIGATED.has(failure);
    case 'deprovision':
    case 'unbind':
      return DELETE_MITIGATED.has(failure);
    case 'update':
      return false;
  }
}

/** What a caller asks for; the rest of the record is the mitigator's own bookkeeping. */
export type MitigationRequest = Pick<
  OrphanMitigationRecord,
  'kind' | 'purpose' | 'brokerGuid' | 'instanceGuid' | 'bindingGuid' | 'serviceId' | 'planId' | 'reason'
>;

export interface OrphanMitigatorOptions {
  store: ControllerStore;
  osb: OsbCalls;
  logger: Logger;
  /** Wait before the second attempt; doubles per attempt up to MAX_RETRY_MS. */
  retryBaseMs: number;
  /** Called once the broker confirmed; `delete` mitigations finish the user's delete here. */
  onConfirmed: (mitigation: OrphanMitigationRecord) => void;
}

const MAX_RETRY_MS = 5 * 60_000;

export class OrphanMitigator {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly options: OrphanMitigatorOptions) {}

  /** Picks up the mitigations a previous controller process left pending. */
  start(): void {
    for (const pending of this.options.store.mitigations.pending()) {
      this.schedule(pending.guid, Math.max(0, Date.parse(pending.nextAttemptAt) - Date.now()));
    }
  }

  request(request: MitigationRequest): OrphanMitigationRecord {
    const now = new Date();
    const record: OrphanMitigationRecord = {
      guid: randomUUID(),
      kind: request.kind,
      purpose: request.purpose,
      brokerGuid: request.brokerGuid,
      instanceGuid: request.instanceGuid,
      bindingGuid: request.bindingGuid,
      serviceId: request.serviceId,
      planId: request.planId,
      reason: request.reason,
      state: 'pending',
      attempts: 0,
      lastError: null,
      nextAttemptAt: now.toISOString(),
      createdAt: timestamp(now),
      updatedAt: timestamp(now),
    };
    this.options.store.mitigations.insert(record);
    this.options.logger.warn(
      { mitigation: record.guid, kind: record.kind, instance: record.instanceGuid, binding: record.bindingGuid, reason: record.reason },
      `orphan mitigation: will ask the broker to ${record.kind === 'instance' ? 'deprovision' : 'unbind'}`,
    );
    this.schedule(record.guid, 0);
    return record;
  }

  /** The user's own delete reached the broker: pending mitigations of that resource are moot. */
  supersede(instanceGuid: string, bindingGuid: string | null): void {
    const store = this.options.store;
    for (const pending of store.mitigations.pending()) {
      const same = bindingGuid === null
        ? pending.kind === 'instance' && pending.instanceGuid === instanceGuid
        : pending.kind === 'binding' && pending.bindingGuid === bindingGuid;
      if (!same) continue;
      this.clearTimer(pending.guid);
      store.mitigations.save({ ...pending, state: 'succeeded', updatedAt: timestamp() });
    }
  }

  /** Gives up on the pending mitigations of a broker that is being removed. */
  abandonBroker(brokerGuid: string): void {
    for (const pending of this.options.store.mitigations.pendingOfBroker(brokerGuid)) {
      this.clearTimer(pending.guid);
      this.options.store.mitigations.save({ ...pending, state: 'abandoned', lastError: 'the service broker was removed', updatedAt: timestamp() });
      this.options.logger.warn({ mitigation: pending.guid, instance: pending.instanceGuid, binding: pending.bindingGuid }, 'orphan mitigation abandoned: the service broker was removed');
    }
  }

  async close(): Promise<void> {
    this.abort.abort(new Error('the controller is shutting down'));
    for (const guid of [...this.timers.keys()]) this.clearTimer(guid);
    await Promise.allSettled([...this.running]);
  }

  private schedule(guid: string, delayMs: number): void {
    if (this.abort.signal.aborted) return;
    this.clearTimer(guid);
    const timer = setTimeout(() => {
      this.timers.delete(guid);
      const attempt = this.attempt(guid).finally(() => this.running.delete(attempt));
      this.running.add(attempt);
    }, delayMs);
    timer.unref();
    this.timers.set(guid, timer);
  }

  private clearTimer(guid: string): void {
    const timer = this.timers.get(guid);
    if (timer) clearTimeout(timer);
    this.timers.delete(guid);
  }

  private async attempt(guid: string): Promise<void> {
    const { store, logger } = this.options;
    const record = store.mitigations.get(guid);
    if (!record || record.state !== 'pending') return;
    if (!store.brokers.get(record.brokerGuid)) {
      store.mitigations.save({ ...record, state: 'abandoned', lastError: 'the service broker was removed', updatedAt: timestamp() });
      logger.warn({ mitigation: guid }, 'orphan mitigation abandoned: the service broker was removed');
      return;
    }
    const attempt = record.attempts + 1;
    const action = record.kind === 'instance' ? 'deprovision' : 'unbind';
    try {
      await this.sendDelete(record);
      if (this.abort.signal.aborted || !store.isOpen) return;
      const confirmed: OrphanMitigationRecord = { ...record, attempts: attempt, state: 'succeeded', lastError: null, updatedAt: timestamp() };
      store.mitigations.save(confirmed);
      logger.info({ mitigation: guid, kind: record.kind, instance: record.instanceGuid, binding: record.bindingGuid, attempt }, `orphan mitigation: the broker confirmed the ${action}`);
      this.options.onConfirmed(confirmed);
    } catch (error) {
      if (this.abort.signal.aborted || !store.isOpen) return;
      const detail = error instanceof FailedOperation ? error.message : describeBrokerFailure(error, action).detail;
      const delay = Math.min(this.options.retryBaseMs * 2 ** (attempt - 1), Math.max(MAX_RETRY_MS, this.options.retryBaseMs));
      const current = store.mitigations.get(guid);
      if (!current || current.state !== 'pending') return;
      store.mitigations.save({
        ...current,
        attempts: attempt,
        lastError: detail,
        nextAttemptAt: new Date(Date.now() + delay).toISOString(),
        updatedAt: timestamp(),
      });
      logger.warn({ mitigation: guid, kind: record.kind, instance: record.instanceGuid, binding: record.bindingGuid, attempt, retryInMs: delay, error: detail }, `orphan mitigation: the ${action} did not succeed; retrying`);
      this.schedule(guid, delay);
    }
  }

  /** Resolves once the broker reports the resource gone (200, 410, or an async delete that succeeded). */
  private async sendDelete(record: OrphanMitigationRecord): Promise<void> {
    const { osb } = this.options;
    const plan = { service_id: record.serviceId, plan_id: record.planId };
    const poll = {
      serviceId: record.serviceId,
      planId: record.planId,
      plan: {},
      isDelete: true,
      signal: this.abort.signal,
    };
    if (record.kind === 'instance') {
      const answer = await osb.deprovision(record.brokerGuid, record.instanceGuid, plan, undefined);
      if (!answer.async) return;
      const last = await osb.waitForInstance(record.brokerGuid, record.instanceGuid, { ...poll, ...(answer.operation !== undefined ? { operation: answer.operation } : {}) });
      if (last.body.state === 'failed') throw new FailedOperation(describeFailedOperation(last, 'deprovision').detail);
      return;
    }
    const bindingGuid = record.bindingGuid ?? '';
    const answer = await osb.unbind(record.brokerGuid, record.instanceGuid, bindingGuid, plan, undefined);
    if (!answer.async) return;
    const last = await osb.waitForBinding(record.brokerGuid, record.instanceGuid, bindingGuid, { ...poll, ...(answer.operation !== undefined ? { operation: answer.operation } : {}) });
    if (last.body.state === 'failed') throw new FailedOperation(describeFailedOperation(last, 'unbind').detail);
  }
}

class FailedOperation extends Error {}

/**
 * What a failed create leaves behind, said in the job's error so the user knows what happens
 * next: the resource stays listed with its creation failed and, when mitigated, the platform
 * keeps asking the broker to delete it. `replaceHow` says how to make it again.
 */
export function afterFailedCreate(what: 'service instance' | 'service binding' | 'service key', mitigated: boolean, replaceHow: string): string {
  const action = what === 'service instance' ? 'deprovision' : 'unbind';
  const cleanup = mitigated
    ? ` The platform is asking the service broker to ${action} whatever it may have created (orphan mitigation) and retries until the broker confirms; the ${what}'s last operation shows how that goes.`
    : '';
  return `The ${what} stays listed with its creation failed.${cleanup} ${replaceHow}`;
}

/** How a resource's last_operation tells the user about its mitigation. */
export function describeMitigation(mitigation: OrphanMitigationRecord | undefined): string | undefined {
  if (!mitigation) return undefined;
  const action = mitigation.kind === 'instance' ? 'deprovision' : 'unbind';
  switch (mitigation.state) {
    case 'pending':
      return mitigation.attempts === 0
        ? `Orphan mitigation: asking the service broker to ${action} it.`
        : `Orphan mitigation: asking the service broker to ${action} it (${mitigation.attempts} attempt(s) failed so far; last error: ${mitigation.lastError ?? 'unknown'}).`;
    case 'succeeded':
      return `Orphan mitigation: the service broker confirmed the ${action}.`;
    case 'abandoned':
      return `Orphan mitigation abandoned: ${mitigation.lastError ?? 'the service broker was removed'}.`;
  }
}
