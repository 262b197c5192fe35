import {
  OsbMalformedResponseError, OsbPollingTimeoutError, OsbRequestError, OsbResponseError, OsbTimeoutError, OsbTransportError,
} from '../../../sdk/client';
import { BrokerUrlNotAllowed } from '../../../platform/controller/osb-calls';
import { classifyBrokerFailure, describeMitigation, needsOrphanMitigation, type BrokerRequestKind, type FailureKind } from '../../../platform/controller/orphan-mitigation';
import type { OrphanMitigationRecord } from '../../../platform/controller/records';

describe('classifyBrokerFailure', () => {
  test.each<[string, unknown, FailureKind]>([
    ['500', new OsbResponseError(500, {}, 'provision'), 'status-5xx'],
    ['503', new OsbResponseError(503, {}, 'bind'), 'status-5xx'],
    ['204', new OsbResponseError(204, {}, 'provision'), 'other-2xx'],
    ['206', new OsbResponseError(206, {}, 'bind'), 'other-2xx'],
    ['408', new OsbResponseError(408, {}, 'provision'), 'status-408'],
    ['400', new OsbResponseError(400, {}, 'provision'), 'status-4xx'],
    ['422 ConcurrencyError', new OsbResponseError(422, { error: 'ConcurrencyError' }, 'bind'), 'status-4xx'],
    ['302', new OsbResponseError(302, {}, 'provision'), 'status-other'],
    ['malformed 200', new OsbMalformedResponseError(200, 'bind', 'credentials must be an object'), 'malformed-200'],
    ['malformed 201', new OsbMalformedResponseError(201, 'provision', 'the body is not JSON'), 'malformed-201-202'],
    ['malformed 202', new OsbMalformedResponseError(202, 'provision', 'bad operation'), 'malformed-201-202'],
    ['timeout', new OsbTimeoutError('provision', 60_000), 'timeout'],
    ['refused', new OsbTransportError('provision', 'ECONNREFUSED'), 'unreachable'],
    ['unknown host', new OsbTransportError('provision', 'ENOTFOUND'), 'unreachable'],
    ['reset', new OsbTransportError('provision', 'ECONNRESET'), 'connection-lost'],
    ['polling limit', new OsbPollingTimeoutError('op', 60), 'polling-timeout'],
    ['a body that cannot be serialised', new OsbRequestError('provision', 'its body cannot be serialised as JSON'), 'not-sent'],
    ['a URL outside the allow-list', new BrokerUrlNotAllowed(), 'not-sent'],
    ['a bug', new TypeError('x is undefined'), 'internal-error'],
  ])('%s', (_name, error, kind) => {
    expect(classifyBrokerFailure(error)).toBe(kind);
  });
});

describe('needsOrphanMitigation: the table of checklist N.8', () => {
  const rows: Array<[BrokerRequestKind, FailureKind, boolean]> = [
    // 200 malformed: failure, never mitigated.
    ['provision', 'malformed-200', false],
    ['bind', 'malformed-200', false],
    // last_operation failed: the matching resource.
    ['provision', 'last-operation-failed', true],
    ['deprovision', 'last-operation-failed', true],
    ['bind', 'last-operation-failed', true],
    ['unbind', 'last-operation-failed', true],
    ['update', 'last-operation-failed', false],
    // 201/202 malformed: provision and bind only.
    ['provision', 'malformed-201-202', true],
    ['bind', 'malformed-201-202', true],
    ['deprovision', 'malformed-201-202', false],
    ['update', 'malformed-201-202', false],
    // other 2xx.
    ['provision', 'other-2xx', true],
    ['deprovision', 'other-2xx', true],
    ['bind', 'other-2xx', true],
    ['unbind', 'other-2xx', true],
    ['update', 'other-2xx', false],
    // 408 and other 4xx: never.
    ...(['provision', 'bind', 'deprovision', 'unbind', 'update'] as const).flatMap((request) => [
      [request, 'status-408', false] as [BrokerRequestKind, FailureKind, boolean],
      [request, 'status-4xx', false] as [BrokerRequestKind, FailureKind, boolean],
      [request, 'unreachable', false] as [BrokerRequestKind, FailureKind, boolean],
      [request, 'not-sent', false] as [BrokerRequestKind, FailureKind, boolean],
    ]),
    // 5xx.
    ['provision', 'status-5xx', true],
    ['deprovision', 'status-5xx', true],
    ['bind', 'status-5xx', true],
    ['unbind', 'status-5xx', true],
    ['update', 'status-5xx', false],
    // timeout: provision and bind only.
    ['provision', 'timeout', true],
    ['bind', 'timeout', true],
    ['deprovision', 'timeout', false],
    ['unbind', 'timeout', false],
    ['update', 'timeout', false],
    // The platform's own failures while creating.
    ['provision', 'internal-error', true],
    ['bind', 'internal-error', true],
    ['bind', 'invalid-response', true],
    ['update', 'internal-error', false],
  ];

  test.each(rows)('%s answered %s → %s', (request, failure, expected) => {
    expect(needsOrphanMitigation(request, failure)).toBe(expected);
  });
});

describe('describeMitigation', () => {
  const base: OrphanMitigationRecord = {
    guid: 'm', kind: 'instance', purpose: 'create', brokerGuid: 'b', instanceGuid: 'i', bindingGuid: null, serviceId: 's', planId: 'p',
    reason: 'r', state: 'pending', attempts: 0, lastError: null, nextAttemptAt: '', createdAt: '', updatedAt: '',
  };

  test('says what is happening and how it went', () => {
    expect(describeMitigation(undefined)).toBeUndefined();
    expect(describeMitigation(base)).toBe('Orphan mitigation: asking the service broker to deprovision it.');
    expect(describeMitigation({ ...base, attempts: 2, lastError: 'boom' })).toContain('2 attempt(s) failed so far; last error: boom');
    expect(describeMitigation({ ...base, kind: 'binding', state: 'succeeded' })).toBe('Orphan mitigation: the service broker confirmed the unbind.');
    expect(describeMitigation({ ...base, state: 'abandoned', lastError: 'the service broker was removed' })).toBe('Orphan mitigation abandoned: the service broker was removed.');
  });
});
