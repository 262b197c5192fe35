import { asyncModeBroker } from '../../../sdk/async-mode';
import { ConformanceBroker } from '../../support/conformance-broker';
import { PLAN_ASYNC, PLAN_SMALL } from '../../support/fixtures';
import { bindBody, closeBrokers, deleteQuery, paths, pollLastOperation, provisionBody, startBroker, waitFor } from '../../support/osb-harness';

/**
 * createBroker's asyncMode: every operation of any broker answers 202 and lasts at least the
 * delay, without a line of broker code; what the broker sees of it (steps, checkpoints,
 * halted creates) stays as if it ran on its own. The spec-level behaviour is the testkit's
 * run in conformance.test.ts; these tests look inside.
 */

afterEach(closeBrokers);

it('answers 202 for every operation, calls the broker only once the delay has passed, and refuses requests without accepts_incomplete', async () => {
  const t = startBroker({ asyncMode: { delaySeconds: 0.3 } });
  const refused = await t.osb.put(paths.instance('inst-1'), provisionBody());
  expect(refused.status).toBe(422);
  expect(refused.body).toEqual({ error: 'AsyncRequired', description: expect.stringMatching(/async mode.*accepts_incomplete=true/) });
  expect((await t.store.getInstance('inst-1'))?.record.state ?? 'absent').not.toBe('provisioned');

  const started = await t.osb.put(paths.instance('inst-1', { accepts_incomplete: true }), provisionBody());
  expect(started.status).toBe(202);
  const running = await t.osb.get(paths.instanceLastOperation('inst-1'));
  expect(running.body).toEqual({ state: 'in progress', description: expect.stringMatching(/^provision accepted; it starts in/) });
  expect(t.broker.calls).toEqual([]);
  expect((await pollLastOperation(t.osb, paths.instanceLastOperation('inst-1', { operation: started.body.operation }))).body).toEqual({ state: 'succeeded' });
  expect(t.broker.callsOf('provision')).toEqual(['provision:inst-1:1']);

  for (const [kind, send] of [
    ['update', () => t.osb.patch(paths.instance('inst-1', { accepts_incomplete: true }), { service_id: provisionBody().service_id, parameters: { size: 4 } })],
    ['bind', () => t.osb.put(paths.binding('inst-1', 'bind-1', { accepts_incomplete: true }), bindBody())],
  ] as const) {
    const answer = await send();
    expect([kind, answer.status]).toEqual([kind, 202]);
    const poll = kind === 'bind' ? paths.bindingLastOperation('inst-1', 'bind-1') : paths.instanceLastOperation('inst-1');
    expect((await pollLastOperation(t.osb, poll)).body).toEqual({ state: 'succeeded' });
  }
  expect((await t.osb.get(paths.binding('inst-1', 'bind-1'))).body).toMatchObject({ credentials: { username: 'u-bind-1' } });
  expect((await t.osb.delete(paths.binding('inst-1', 'bind-1', deleteQuery()))).status).toBe(422);
  expect((await t.osb.delete(paths.binding('inst-1', 'bind-1', deleteQuery(PLAN_SMALL, { accepts_incomplete: true })))).status).toBe(202);
  await pollLastOperation(t.osb, paths.bindingLastOperation('inst-1', 'bind-1'));
  expect((await t.osb.delete(paths.instance('inst-1', deleteQuery(PLAN_SMALL, { accepts_incomplete: true })))).status).toBe(202);
  await pollLastOperation(t.osb, paths.instanceLastOperation('inst-1'));
  expect(t.broker.calls).toEqual(['provision:inst-1:1', 'update:inst-1', 'bind:bind-1', 'unbind:bind-1', 'deprovision:inst-1']);
});

it('hands the broker its own steps and checkpoints, counted from 1, after the wait, with the rest of its step context', async () => {
  const broker = new ConformanceBroker();
  const contexts: Array<{ logs: boolean; operationId: string; signal: boolean }> = [];
  const provision = broker.provision.bind(broker);
  broker.provision = async (request, ctx) => {
    contexts.push({ logs: typeof ctx.logger?.info === 'function', operationId: ctx.operationId, signal: ctx.signal instanceof AbortSignal });
    return provision(request, ctx);
  };
  const t = startBroker({ broker, asyncMode: { delaySeconds: 0.1 } });
  const started = await t.osb.put(paths.instance('inst-a', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
  expect(started.status).toBe(202);
  await pollLastOperation(t.osb, paths.instanceLastOperation('inst-a'));
  expect(t.broker.received.provision.map((r) => [r.step, r.checkpoint])).toEqual([[1, undefined], [2, 1], [3, 2]]);
  expect(contexts).toEqual(Array.from({ length: 3 }, () => ({ logs: true, operationId: started.body.operation, signal: true })));
});

it('a deprovision that halts a create still waiting tells the broker nothing was made; one that halts it later hands over the broker\'s checkpoint', async () => {
  // The deprovision waits its own delay too, so the delay is short; the provision's is not over when it arrives.
  const waiting = startBroker({ asyncMode: { delaySeconds: 1 } });
  await waiting.osb.put(paths.instance('inst-w', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
  expect((await waiting.osb.delete(paths.instance('inst-w', deleteQuery(PLAN_ASYNC, { accepts_incomplete: true })))).status).toBe(202);
  await pollLastOperation(waiting.osb, paths.instanceLastOperation('inst-w'));
  expect(waiting.broker.calls).toEqual(['deprovision:inst-w']);
  expect(waiting.broker.received.deprovision[0]!.request.haltedCheckpoint).toBeUndefined();

  const broker = new ConformanceBroker();
  broker.asyncSteps = 1_000_000;
  const running = startBroker({ broker, asyncMode: { delaySeconds: 0 } });
  await running.osb.put(paths.instance('inst-r', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
  await waitFor(() => broker.callsOf('provision').length >= 3, 'three provision steps of the broker');
  expect((await running.osb.delete(paths.instance('inst-r', deleteQuery(PLAN_ASYNC, { accepts_incomplete: true })))).status).toBe(202);
  await pollLastOperation(running.osb, paths.instanceLastOperation('inst-r'));
  const halted = broker.received.deprovision[0]!.request.haltedCheckpoint;
  expect(typeof halted).toBe('number');
  expect(halted).toBeGreaterThanOrEqual(2);
}, 20_000);

it('refuses a delay that is not a number of seconds', () => {
  expect(() => asyncModeBroker(new ConformanceBroker(), { delaySeconds: -1 })).toThrow('asyncMode.delaySeconds must be a number of seconds, 0 or more');
  expect(() => asyncModeBroker(new ConformanceBroker(), { delaySeconds: Number.NaN })).toThrow(/delaySeconds/);
});
