import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createBroker, MemoryStore, SqliteStore, type BrokerApp, type StateStore } from '../../../sdk';
import type { BindingWithInstance, InstanceWithBindings, ReadIntent } from '../../../sdk/store/types';
import { ConformanceBroker } from '../../support/conformance-broker';
import { PLAN_ASYNC, SERVICE_ID, testCatalog } from '../../support/fixtures';
import { bindBody, CREDENTIALS, deleteQuery, Osb, paths, provisionBody, waitFor } from '../../support/osb-harness';

/**
 * Every step of an operation reads the SDK's store at most once (issue 17): the request's own
 * step, and each later step the runner takes in the background. A read is any call that
 * fetches records; a store that can read a binding with its instance, or an instance with its
 * bindings, is asked once for both. The counts are exact, so a read that creeps back in fails.
 */

class ReadCounter implements StateStore {
  reads = 0;
  readonly calls: string[] = [];

  constructor(readonly inner: StateStore) {}

  private read(name: string): void {
    this.reads++;
    this.calls.push(name);
  }

  init = () => this.inner.init();
  close = () => this.inner.close();
  sync = () => this.inner.sync?.() ?? Promise.resolve();
  putInstance: StateStore['putInstance'] = (record, expected) => this.inner.putInstance(record, expected);
  putBinding: StateStore['putBinding'] = (record, expected) => this.inner.putBinding(record, expected);
  listPending: StateStore['listPending'] = () => this.inner.listPending();
  purgeDeleted: StateStore['purgeDeleted'] = (before) => this.inner.purgeDeleted(before);

  getInstance: StateStore['getInstance'] = (instanceId, intent) => {
    this.read('getInstance');
    return this.inner.getInstance(instanceId, intent);
  };

  getBinding: StateStore['getBinding'] = (instanceId, bindingId) => {
    this.read('getBinding');
    return this.inner.getBinding(instanceId, bindingId);
  };

  listBindings: StateStore['listBindings'] = (instanceId) => {
    this.read('listBindings');
    return this.inner.listBindings(instanceId);
  };

  getBindingWithInstance = (instanceId: string, bindingId: string, intent?: ReadIntent): Promise<BindingWithInstance> => {
    this.read('getBindingWithInstance');
    return this.inner.getBindingWithInstance!(instanceId, bindingId, intent);
  };

  getInstanceWithBindings = (instanceId: string, intent?: ReadIntent): Promise<InstanceWithBindings> => {
    this.read('getInstanceWithBindings');
    return this.inner.getInstanceWithBindings!(instanceId, intent);
  };
}

const dirs: string[] = [];
const apps: BrokerApp[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const STORES: Array<[string, () => StateStore]> = [
  ['MemoryStore', () => new MemoryStore()],
  [
    'SqliteStore',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'osbkit-reads-'));
      dirs.push(dir);
      return new SqliteStore({ path: join(dir, 'state.db'), checkpointIntervalMs: 0 });
    },
  ],
];

async function start(makeStore: () => StateStore): Promise<{ osb: Osb; store: ReadCounter; broker: ConformanceBroker }> {
  const store = new ReadCounter(makeStore());
  const broker = new ConformanceBroker();
  const app = createBroker({
    catalog: testCatalog(),
    broker,
    store,
    auth: CREDENTIALS,
    logger: pino({ level: 'silent' }),
    engine: { stepIntervalMs: 10, leaseMs: 5_000, scanIntervalMs: 60_000, syncTimeoutMs: 5_000 },
  });
  apps.push(app);
  await app.start();
  return { osb: new Osb(app.handler), store, broker };
}

/** The reads `run` makes, after which `done` holds (checked on the store itself, which counts nothing). */
async function readsOf(store: ReadCounter, run: () => Promise<unknown>, done?: () => Promise<boolean>): Promise<string[]> {
  store.reads = 0;
  store.calls.length = 0;
  await run();
  if (done) await waitFor(done, 'the operation to finish');
  return [...store.calls];
}

describe.each(STORES)('reads per step on %s', (_name, makeStore) => {
  it('each request that runs one step reads the store once', async () => {
    const { osb, store } = await start(makeStore);
    const expectStatus = (status: number) => (res: { status: number }) => expect(res.status).toBe(status);

    expect(await readsOf(store, () => osb.put(paths.instance('inst-1'), provisionBody()).then(expectStatus(201)))).toEqual(['getInstance']);
    expect(
      await readsOf(store, () => osb.patch(paths.instance('inst-1'), { service_id: SERVICE_ID, parameters: { size: 4 } }).then(expectStatus(200))),
    ).toEqual(['getInstance']);
    expect(await readsOf(store, () => osb.put(paths.binding('inst-1', 'bind-1'), bindBody()).then(expectStatus(201)))).toEqual(['getBindingWithInstance']);
    expect(await readsOf(store, () => osb.get(paths.binding('inst-1', 'bind-1')).then(expectStatus(200)))).toEqual(['getBindingWithInstance']);
    expect(await readsOf(store, () => osb.get(paths.bindingLastOperation('inst-1', 'bind-1')).then(expectStatus(200)))).toEqual(['getBinding']);
    expect(await readsOf(store, () => osb.delete(paths.binding('inst-1', 'bind-1', deleteQuery())).then(expectStatus(200)))).toEqual([
      'getBindingWithInstance',
    ]);
    expect(await readsOf(store, () => osb.get(paths.instanceLastOperation('inst-1')).then(expectStatus(200)))).toEqual(['getInstance']);
    expect(await readsOf(store, () => osb.delete(paths.instance('inst-1', deleteQuery())).then(expectStatus(200)))).toEqual([
      'getInstanceWithBindings',
    ]);
  });

  it('an operation of several steps reads the store once per step, in the request and in the background', async () => {
    const { osb, store, broker } = await start(makeStore);
    broker.asyncSteps = 3;
    for (const kind of ['update', 'bind', 'unbind', 'deprovision'] as const) broker.asyncKinds.add(kind);
    const async = { accepts_incomplete: true };
    const finished = (read: () => Promise<{ record: { operation?: { state: string } } } | undefined>) => async () =>
      (await read())?.record.operation?.state === 'succeeded';
    const instance = () => store.inner.getInstance('inst-a');
    const binding = () => store.inner.getBinding('inst-a', 'bind-a');

    const provision = await readsOf(
      store,
      () => osb.put(paths.instance('inst-a', async), provisionBody({ plan_id: PLAN_ASYNC })).then((res) => expect(res.status).toBe(202)),
      finished(instance),
    );
    expect(broker.received.provision).toHaveLength(3);
    expect(provision).toEqual(['getInstance', 'getInstance', 'getInstance']);

    const update = await readsOf(
      store,
      () => osb.patch(paths.instance('inst-a', async), { service_id: SERVICE_ID, parameters: { size: 5 } }).then((res) => expect(res.status).toBe(202)),
      finished(instance),
    );
    expect(broker.received.update).toHaveLength(3);
    expect(update).toEqual(['getInstance', 'getInstance', 'getInstance']);

    const bind = await readsOf(
      store,
      () => osb.put(paths.binding('inst-a', 'bind-a', async), bindBody({ plan_id: PLAN_ASYNC })).then((res) => expect(res.status).toBe(202)),
      finished(binding),
    );
    expect(broker.received.bind).toHaveLength(3);
    expect(bind).toEqual(['getBindingWithInstance', 'getBindingWithInstance', 'getBindingWithInstance']);

    const unbind = await readsOf(
      store,
      () => osb.delete(paths.binding('inst-a', 'bind-a', deleteQuery(PLAN_ASYNC, async))).then((res) => expect(res.status).toBe(202)),
      finished(binding),
    );
    expect(broker.received.unbind).toHaveLength(3);
    expect(unbind).toEqual(['getBindingWithInstance', 'getBindingWithInstance', 'getBindingWithInstance']);

    const deprovision = await readsOf(
      store,
      () => osb.delete(paths.instance('inst-a', deleteQuery(PLAN_ASYNC, async))).then((res) => expect(res.status).toBe(202)),
      finished(instance),
    );
    expect(broker.received.deprovision).toHaveLength(3);
    expect(deprovision).toEqual(['getInstanceWithBindings', 'getInstance', 'getInstance']);
  });
});
