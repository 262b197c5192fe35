import { copyBindingRecord, copyInstanceRecord, finishedOperation, startOperation } from '../../../sdk/engine/record-shapes';
import { binding, instance } from '../../support/store-records';

/**
 * sdk/engine/record-shapes.ts builds records and operations with every member present, so
 * that all of them share one hidden class in V8. What they hold must be exactly what the
 * spread they stand for would hold.
 */

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

describe('startOperation', () => {
  it('makes an operation in progress, claimed, with every member present and the absent ones undefined', () => {
    const op = startOperation('update', { caller: { apiVersion: '2.17' }, planId: 'plan-b' }, {
      async: true, owner: 'runner-1', leaseMs: 30_000, now: NOW, maxDurationSeconds: 60, fingerprint: '{"planId":"plan-b"}',
    });
    expect(op).toEqual({
      id: expect.stringMatching(/^update-[0-9a-f-]{36}$/),
      kind: 'update',
      state: 'in progress',
      async: true,
      fingerprint: '{"planId":"plan-b"}',
      request: { caller: { apiVersion: '2.17' }, planId: 'plan-b' },
      owner: 'runner-1',
      leaseUntil: NOW + 30_000,
      deadline: NOW + 60_000,
      attempts: 0,
      startedAt: '2026-03-01T12:00:00.000Z',
      updatedAt: '2026-03-01T12:00:00.000Z',
    });
    // Every member is an own property, so every operation has the same ones in the same order.
    const other = startOperation('provision', {}, { async: false, owner: 'runner-2', leaseMs: 1, now: NOW });
    expect(Object.keys(other)).toEqual(Object.keys(op));
    expect(JSON.parse(JSON.stringify(other))).not.toHaveProperty('deadline');
  });
});

describe('finishedOperation', () => {
  const running = { ...startOperation('bind', { caller: { apiVersion: '2.17' } }, { async: true, owner: 'runner-1', leaseMs: 1_000, now: NOW }), description: 'halfway', checkpoint: { step: 2 }, attempts: 3 };

  it('on success drops the claim, the progress marker and the note', () => {
    const done = finishedOperation(running, 'succeeded', '2026-03-01T12:01:00.000Z');
    expect(JSON.parse(JSON.stringify(done))).toEqual({
      id: running.id, kind: 'bind', state: 'succeeded', async: true, request: running.request, attempts: 3,
      startedAt: running.startedAt, updatedAt: '2026-03-01T12:01:00.000Z',
    });
  });

  it('on failure keeps the progress marker and the note, and still drops the claim', () => {
    const failed = finishedOperation(running, 'failed', '2026-03-01T12:01:00.000Z');
    expect(failed).toMatchObject({ state: 'failed', description: 'halfway', checkpoint: { step: 2 } });
    expect(failed.owner).toBeUndefined();
    expect(failed.leaseUntil).toBeUndefined();
    expect(running.owner).toBe('runner-1');
  });
});

describe('copyInstanceRecord and copyBindingRecord', () => {
  it('copy what a spread would, as a new object with every member present', () => {
    const sparse = instance('inst-1', { dashboardUrl: 'https://dash.example/inst-1' });
    const copy = copyInstanceRecord(sparse);
    expect(copy).not.toBe(sparse);
    expect(JSON.parse(JSON.stringify(copy))).toEqual(JSON.parse(JSON.stringify({ ...sparse })));
    expect(Object.keys(copy)).toEqual(Object.keys(copyInstanceRecord(instance('inst-2', { context: { platform: 'kubernetes' }, data: 7 }))));

    const bound = binding('inst-1', 'bind-1', { appGuid: 'app-1' });
    const bindingCopy = copyBindingRecord(bound);
    expect(bindingCopy).not.toBe(bound);
    expect(JSON.parse(JSON.stringify(bindingCopy))).toEqual(JSON.parse(JSON.stringify({ ...bound })));
    expect(Object.keys(bindingCopy)).toEqual(Object.keys(copyBindingRecord(binding('inst-1', 'bind-2'))));
  });
});
