import pino from 'pino';
import request from 'supertest';
import {
  answerFromStore, createBroker, errors, inProgress, MemoryStore, type InstanceRecord, type OperationRecord, type ServiceBroker, type StateStore,
} from '../../../sdk';
import { PLAN_ASYNC, testCatalog } from '../../support/fixtures';
import { closeBrokers, paths, pollLastOperation, provisionBody, startBroker, waitFor } from '../../support/osb-harness';

/** What the operation runner does when things go wrong around a step, not in it. */
afterEach(() => closeBrokers());

const V = { 'X-Broker-API-Version': '2.17' };

async function record(store: StateStore, id: string): Promise<InstanceRecord | undefined> {
  return (await store.getInstance(id))?.record;
}

/** A broker whose async provision takes `steps` steps; step 2 can be told to wait for an abort. */
function slowBroker(options: { steps: number; stepSeconds?: number; throwOnAbortAtStep?: number }): ServiceBroker & { calls: number } {
  const broker = {
    calls: 0,
    async provision(_request: unknown, ctx: { checkpoint?: unknown; signal: AbortSignal; step: number }) {
      broker.calls++;
      if (ctx.step === options.throwOnAbortAtStep) {
        await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      }
      const done = typeof ctx.checkpoint === 'number' ? ctx.checkpoint : 0;
      if (done + 1 < options.steps) return inProgress({ checkpoint: done + 1, retryAfterSeconds: options.stepSeconds ?? 0.01 });
      return {};
    },
    async deprovision() {},
    async update() {},
    async bind() {
      return { credentials: {} };
    },
    async unbind() {},
    getInstance: answerFromStore.getInstance,
    getBinding: answerFromStore.getBinding,
  };
  return broker as unknown as ServiceBroker & { calls: number };
}

test('a 503 on the first step goes to the platform and the provision is recorded failed, not retried', async () => {
  const t = startBroker();
  t.broker.failOn('provision', errors.unavailable('The database server is restarting.'), 1);
  const res = await t.osb.put(paths.instance('inst-503', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
  expect(res.status).toBe(503);
  expect(res.body).toEqual({ error: 'ServiceUnavailable', description: 'The database server is restarting.' });
  expect(await record(t.store, 'inst-503')).toMatchObject({ state: 'failed', operation: { state: 'failed' } });
  await new Promise((r) => setTimeout(r, 100));
  expect(t.broker.callsOf('provision')).toHaveLength(1);
});

test('a store that fails during a background step does not strand the operation', async () => {
  const inner = new MemoryStore();
  let failuresLeft = 0;
  const flaky: StateStore = Object.assign(Object.create(inner) as StateStore, {
    putInstance: async (rec: InstanceRecord, version: number | null) => {
      if (failuresLeft > 0 && rec.operation?.attempts === 2) {
        failuresLeft--;
        throw errors.unavailable('The state store is unreachable.');
      }
      return inner.putInstance(rec, version);
    },
  });
  const t = startBroker({ store: flaky });
  t.broker.asyncSteps = 3;
  const res = await t.osb.put(paths.instance('inst-s', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
  expect(res.status).toBe(202);
  failuresLeft = 1;
  const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-s', { operation: res.body.operation }));
  expect(done.body).toEqual({ state: 'succeeded' });
  expect(failuresLeft).toBe(0);
});

test('a step that gives up because the broker shuts down records nothing; the operation stays in progress', async () => {
  const store = new MemoryStore();
  const broker = slowBroker({ steps: 3, throwOnAbortAtStep: 2 });
  const app = createBroker({ catalog: testCatalog(), broker, store, auth: { none: true }, logger: pino({ level: 'silent' }), engine: { stepIntervalMs: 10 } });
  await app.start();
  const res = await request(app.handler).put('/v2/service_instances/inst-shut?accepts_incomplete=true').set(V).send(provisionBody({ plan_id: PLAN_ASYNC }));
  expect(res.status).toBe(202);
  await waitFor(() => broker.calls >= 2, 'the second step to start');
  await app.close();
  expect(await record(store, 'inst-shut')).toMatchObject({ state: 'provisioning', operation: { state: 'in progress', checkpoint: 1 } });
});

test('the lease is renewed while the runner waits between steps', async () => {
  const store = new MemoryStore();
  const broker = slowBroker({ steps: 2, stepSeconds: 0.6 });
  const app = createBroker({ catalog: testCatalog(), broker, store, auth: { none: true }, logger: pino({ level: 'silent' }), engine: { leaseMs: 150, stepIntervalMs: 10 } });
  await app.start();
  const res = await request(app.handler).put('/v2/service_instances/inst-lease?accepts_incomplete=true').set(V).send(provisionBody({ plan_id: PLAN_ASYNC }));
  expect(res.status).toBe(202);
  const owner = (await record(store, 'inst-lease'))!.operation!.owner;
  await new Promise((r) => setTimeout(r, 400));
  const waiting = (await record(store, 'inst-lease'))!.operation!;
  // 400 ms into a 600 ms wait with a 150 ms lease: without renewal the lease would have lapsed.
  expect(waiting).toMatchObject({ state: 'in progress', owner });
  expect(waiting.leaseUntil!).toBeGreaterThan(Date.now());
  await app.close();
});

test('the lease is renewed while a single step runs longer than the lease', async () => {
  const store = new MemoryStore();
  let finishStep: () => void = () => undefined;
  const broker = {
    ...slowBroker({ steps: 1 }),
    async provision(_request: unknown, ctx: { step: number }) {
      // The first step answers at once (the platform gets its 202); the second, in the background, runs long.
      if (ctx.step === 1) return inProgress({ retryAfterSeconds: 0.01 });
      await new Promise<void>((resolve) => (finishStep = resolve));
      return {};
    },
  } as unknown as ServiceBroker;
  const app = createBroker({ catalog: testCatalog(), broker, store, auth: { none: true }, logger: pino({ level: 'silent' }), engine: { leaseMs: 150, stepIntervalMs: 10 } });
  await app.start();
  const res = await request(app.handler).put('/v2/service_instances/inst-long-step?accepts_incomplete=true').set(V).send(provisionBody({ plan_id: PLAN_ASYNC }));
  expect(res.status).toBe(202);
  const owner = (await record(store, 'inst-long-step'))!.operation!.owner;
  await waitFor(async () => (await record(store, 'inst-long-step'))?.operation?.attempts === 1, 'the second step to start');
  // Three leases into one step: without renewal another runner could take the operation over.
  for (const at of [250, 450]) {
    await new Promise((r) => setTimeout(r, at === 250 ? 250 : 200));
    const running = (await record(store, 'inst-long-step'))!.operation!;
    expect(running).toMatchObject({ state: 'in progress', owner });
    expect(running.leaseUntil!).toBeGreaterThan(Date.now());
  }
  finishStep();
  await waitFor(async () => (await record(store, 'inst-long-step'))?.state === 'provisioned', 'the step to finish');
  await app.close();
});

describe('metrics and authentication', () => {
  const broker = (): ServiceBroker => slowBroker({ steps: 1 });

  test('/metrics needs the broker credentials unless metricsPublic', async () => {
    const guarded = createBroker({ catalog: testCatalog(), broker: broker(), auth: { username: 'u', password: 'p' }, logger: pino({ level: 'silent' }), metrics: true });
    const open = createBroker({ catalog: testCatalog(), broker: broker(), auth: { username: 'u', password: 'p' }, logger: pino({ level: 'silent' }), metrics: true, metricsPublic: true });
    expect((await request(guarded.handler).get('/metrics')).status).toBe(401);
    const scraped = await request(open.handler).get('/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('osb_requests_total');
    expect((await request(open.handler).get('/v2/catalog').set(V)).status).toBe(401);
    await guarded.close();
    await open.close();
  });

  test('a 401 advertises Basic only when Basic auth is in use', async () => {
    const custom = createBroker({ catalog: testCatalog(), broker: broker(), auth: (req) => req.headers.authorization === 'Bearer good', logger: pino({ level: 'silent' }) });
    const refused = await request(custom.handler).get('/v2/catalog').set(V).set('Authorization', 'Bearer bad');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBeUndefined();
    expect((await request(custom.handler).get('/v2/catalog').set(V).set('Authorization', 'Bearer good')).status).toBe(200);
    await custom.close();
  });
});

test('a refused first step whose save loses to another request gets ConcurrencyError and leaves that request\'s record alone (nothing restored over it)', async () => {
  const inner = new MemoryStore();
  let intruded = false;
  // When the refused update's outcome is about to be saved, another request (a delete) has
  // just replaced the instance's operation: the save's compare-and-set fails and the runner
  // reads a record whose operation is not its own, nor in the history.
  const racing: StateStore = Object.assign(Object.create(inner) as StateStore, {
    putInstance: async (rec: InstanceRecord, version: number | null) => {
      if (!intruded && rec.operation?.kind === 'update' && rec.operation.state === 'failed' && version !== null) {
        intruded = true;
        const { request: _update, ...rest } = rec.operation;
        const operation: OperationRecord = { ...rest, id: 'deprovision-intruder', kind: 'deprovision', state: 'in progress', request: {} };
        await inner.putInstance({ ...rec, operation, history: rec.history.filter((entry) => entry.id !== rec.operation?.id) }, version);
      }
      return inner.putInstance(rec, version);
    },
  });
  const t = startBroker({ store: racing });
  expect((await t.osb.put(paths.instance('inst-race'), provisionBody())).status).toBe(201);
  t.broker.failOn('update', errors.unprocessable('That change is not possible.'), 1);
  const res = await t.osb.patch(paths.instance('inst-race'), { service_id: provisionBody().service_id, parameters: { size: 2 } });
  expect(intruded).toBe(true);
  expect(res.status).toBe(422);
  expect(res.body.error).toBe('ConcurrencyError');
  expect(await record(inner, 'inst-race')).toMatchObject({ state: 'provisioned', operation: { id: 'deprovision-intruder', kind: 'deprovision', state: 'in progress' } });
});
