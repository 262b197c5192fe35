import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../sdk';
import { ConformanceBroker } from '../../support/conformance-broker';
import { PLAN_ASYNC, PLAN_SMALL } from '../../support/fixtures';
import {
  bindBody, closeBrokers, deleteQuery, Osb, paths, pollLastOperation, provisionBody, quietPeriod, startBroker, waitFor,
  type TestBroker, type TestBrokerOptions,
} from '../../support/osb-harness';

/**
 * The SDK as it runs in production: over a real socket, on a SQLite file, restarted, and as
 * two replicas sharing one file.
 */

let dir: string;
let files = 0;
const servers: Server[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osbkit-sdk-it-'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await closeBrokers();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const freshFile = (): string => join(dir, `state-${++files}.db`);

/** A broker on `file`, listening on an ephemeral port; `osb` talks to it over HTTP. */
async function listening(file: string, options: TestBrokerOptions<ConformanceBroker> = {}): Promise<TestBroker> {
  const t = startBroker({ ...options, store: new SqliteStore({ path: file }) });
  const { url, server } = await t.app.listen(0);
  servers.push(server);
  return { ...t, osb: new Osb(url) };
}

describe('a broker on a SQLite file over HTTP', () => {
  it('runs the whole lifecycle: async provision, bind, fetch, unbind, deprovision', async () => {
    const t = await listening(freshFile());
    const provision = await t.osb.put(paths.instance('inst-1', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    expect(provision.status).toBe(202);
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-1', { operation: provision.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });

    const bind = await t.osb.put(paths.binding('inst-1', 'bind-1'), bindBody({ plan_id: PLAN_ASYNC, parameters: {} }));
    expect(bind.status).toBe(201);
    expect((await t.osb.get(paths.binding('inst-1', 'bind-1'))).body).toEqual({ credentials: bind.body.credentials, parameters: {} });
    expect((await t.osb.get(paths.instance('inst-1'))).body).toMatchObject({ plan_id: PLAN_ASYNC, dashboard_url: 'https://dash.example/inst-1' });

    expect((await t.osb.delete(paths.binding('inst-1', 'bind-1', deleteQuery(PLAN_ASYNC)))).status).toBe(200);
    expect((await t.osb.delete(paths.instance('inst-1', deleteQuery(PLAN_ASYNC)))).status).toBe(200);
    expect((await t.osb.delete(paths.instance('inst-1', deleteQuery(PLAN_ASYNC)))).status).toBe(410);
    expect(t.broker.calls).toEqual([
      'provision:inst-1:1', 'provision:inst-1:2', 'provision:inst-1:3', 'bind:bind-1', 'unbind:bind-1', 'deprovision:inst-1',
    ]);
  });

  it('20 concurrent identical provisions: the broker provisions exactly once', async () => {
    const t = await listening(freshFile());
    const release = t.broker.hold('provision');
    let answered = 0;
    const requests = Array.from({ length: 20 }, (_, i) =>
      t.osb.put(paths.instance('inst-c', { accepts_incomplete: i % 2 === 0 }), provisionBody()).then((res) => {
        answered++;
        return res;
      }),
    );
    await waitFor(() => answered >= 19, '19 answers');
    release();
    const answers = await Promise.all(requests);
    expect(t.broker.received.provision).toHaveLength(1);
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    for (const res of answers) {
      expect([200, 201, 202, 422]).toContain(res.status);
      if (res.status === 422) expect(res.body.error).toBe('ConcurrencyError');
    }
  });

  it('20 concurrent binds of different ids to one instance: each binds exactly once', async () => {
    const t = await listening(freshFile());
    expect((await t.osb.put(paths.instance('inst-b'), provisionBody())).status).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.osb.put(paths.binding('inst-b', `bind-${i}`), bindBody())),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(t.broker.callsOf('bind').sort()).toEqual(Array.from({ length: 20 }, (_, i) => `bind:bind-${i}`).sort());
    expect(await t.store.listBindings('inst-b')).toHaveLength(20);
  });

  it('a broker reopened on the file answers for what the first one did', async () => {
    const file = freshFile();
    const first = await listening(file);
    const provision = await first.osb.put(paths.instance('inst-r', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    await pollLastOperation(first.osb, paths.instanceLastOperation('inst-r', { operation: provision.body.operation }));
    const bind = await first.osb.put(paths.binding('inst-r', 'bind-1'), bindBody({ plan_id: PLAN_ASYNC, parameters: {} }));
    await first.app.close();

    const second = await listening(file);
    const old = await second.osb.get(paths.instanceLastOperation('inst-r', { operation: provision.body.operation }));
    expect(old.body).toEqual({ state: 'succeeded' });
    const repeat = await second.osb.put(paths.binding('inst-r', 'bind-1'), bindBody({ plan_id: PLAN_ASYNC, parameters: {} }));
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(bind.body);
    const conflict = await second.osb.put(paths.instance('inst-r', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_SMALL }));
    expect(conflict.status).toBe(409);
    expect(second.broker.calls).toEqual([]);
  });

  it('an async operation left running by a closed broker is resumed from its checkpoint by the next one', async () => {
    const file = freshFile();
    const engine = { leaseMs: 200, scanIntervalMs: 50 };
    const first = await listening(file, { engine });
    first.broker.asyncSteps = 1_000;
    const provision = await first.osb.put(paths.instance('inst-r', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    await waitFor(() => first.broker.callsOf('provision').length >= 2, 'two provision steps');
    await first.app.close();
    const stepsBefore = first.broker.callsOf('provision').length;

    const second = await listening(file, { engine });
    second.broker.asyncSteps = stepsBefore + 2;
    const done = await pollLastOperation(second.osb, paths.instanceLastOperation('inst-r', { operation: provision.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
    expect(second.broker.received.provision[0]).toMatchObject({ step: stepsBefore + 1, checkpoint: stepsBefore });
    expect(second.broker.callsOf('provision')).toEqual([`provision:inst-r:${stepsBefore + 1}`, `provision:inst-r:${stepsBefore + 2}`]);
    expect(first.broker.callsOf('provision')).toHaveLength(stepsBefore);
  });
});

describe('two replicas sharing one SQLite file', () => {
  const engine = { leaseMs: 300, scanIntervalMs: 60_000 };

  it('either replica answers for an operation the other runs, and refuses what conflicts with it', async () => {
    const file = freshFile();
    const a = await listening(file, { engine });
    const b = await listening(file, { engine });
    a.broker.asyncSteps = 1_000;
    const provision = await a.osb.put(paths.instance('inst-2', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    expect(provision.status).toBe(202);

    const seenByB = await b.osb.get(paths.instanceLastOperation('inst-2', { operation: provision.body.operation }));
    expect(seenByB.body).toMatchObject({ state: 'in progress' });
    const repeatOnB = await b.osb.put(paths.instance('inst-2', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    expect(repeatOnB.body).toEqual({ operation: provision.body.operation });
    const conflictOnB = await b.osb.put(paths.instance('inst-2', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_SMALL }));
    expect(conflictOnB.status).toBe(409);

    a.broker.asyncSteps = 0;
    const done = await pollLastOperation(b.osb, paths.instanceLastOperation('inst-2', { operation: provision.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
    expect(b.broker.calls).toEqual([]);
  });

  it('a deprovision sent to one replica halts a provision the other runs', async () => {
    const file = freshFile();
    const a = await listening(file, { engine });
    const b = await listening(file, { engine });
    a.broker.asyncSteps = 1_000_000;
    const provision = await a.osb.put(paths.instance('inst-h', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    await waitFor(() => a.broker.callsOf('provision').length >= 2, 'two provision steps on replica A');

    const deprovision = await b.osb.delete(paths.instance('inst-h', deleteQuery(PLAN_ASYNC, { accepts_incomplete: true })));
    expect(deprovision.status).toBe(202);
    const done = await pollLastOperation(b.osb, paths.instanceLastOperation('inst-h', { operation: deprovision.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
    const halted = await a.osb.get(paths.instanceLastOperation('inst-h', { operation: provision.body.operation }));
    expect(halted.body).toEqual({ state: 'failed', description: expect.stringMatching(/^Halted/) });

    const stepsOnA = a.broker.callsOf('provision').length;
    expect(b.broker.callsOf('deprovision')).toEqual(['deprovision:inst-h']);
    expect(b.broker.received.deprovision[0]!.request.haltedCheckpoint).toEqual(expect.any(Number));
    expect(a.broker.callsOf('deprovision')).toEqual([]);
    await quietPeriod(100);
    expect(a.broker.callsOf('provision')).toHaveLength(stepsOnA);
  });
});

describe('retention of deleted records', () => {
  it('a broker purges deleted records older than the retention at its first scan, and keeps live ones', async () => {
    const file = freshFile();
    const first = await listening(file);
    for (const id of ['gone-old', 'kept-live']) {
      expect((await first.osb.put(paths.instance(id), provisionBody())).status).toBe(201);
    }
    expect((await first.osb.delete(paths.instance('gone-old', deleteQuery()))).status).toBe(200);
    // Deleted records still answer last_operation within the retention.
    expect((await first.osb.get(paths.instanceLastOperation('gone-old'))).body).toEqual({ state: 'succeeded' });
    await closeBrokers();
    await quietPeriod(30);

    // The next broker keeps deleted records for 20 ms only and scans every 20 ms.
    const second = await listening(file, { engine: { retentionMs: 20, scanIntervalMs: 20 } });
    expect((await second.osb.put(paths.instance('made-later'), provisionBody())).status).toBe(201);
    const store = new SqliteStore({ path: file });
    await store.init();
    try {
      await waitFor(async () => (await store.getInstance('gone-old')) === undefined, 'the purge of gone-old');
      // The spec's answer for an instance the broker does not know.
      expect((await second.osb.get(paths.instanceLastOperation('gone-old'))).status).toBe(404);
      expect((await store.getInstance('kept-live'))?.record.state).toBe('provisioned');
      expect((await store.getInstance('made-later'))?.record.state).toBe('provisioned');
      // A purged id can be provisioned afresh.
      expect((await second.osb.put(paths.instance('gone-old'), provisionBody())).status).toBe(201);
    } finally {
      await store.close();
    }
  });
});
