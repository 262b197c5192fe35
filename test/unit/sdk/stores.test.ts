import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryStore, SqliteStore } from '../../../sdk';
import type { BindingRecord, InstanceRecord, OperationRecord, OperationState, StateStore } from '../../../sdk';
import { PLAN_SMALL, SERVICE_ID } from '../../support/fixtures';

/** One behaviour table, run against every StateStore the SDK ships. */

let dir: string;
let files = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osbkit-stores-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const freshFile = (): string => join(dir, `nested-${++files}`, 'state.db');
/** One timestamp for every record made here, so two records built alike are equal. */
const NOW = new Date().toISOString();

function operation(state: OperationState, id = `op-${state.replace(' ', '-')}`): OperationRecord {
  const at = NOW;
  return { id, kind: 'provision', state, async: true, fingerprint: '{}', request: {}, attempts: 0, startedAt: at, updatedAt: at };
}

function instance(instanceId: string, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  const at = NOW;
  return {
    instanceId,
    serviceId: SERVICE_ID,
    planId: PLAN_SMALL,
    state: 'provisioned',
    parameters: { size: 3 },
    history: [],
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

function binding(instanceId: string, bindingId: string, overrides: Partial<BindingRecord> = {}): BindingRecord {
  const at = NOW;
  return {
    instanceId,
    bindingId,
    serviceId: SERVICE_ID,
    planId: PLAN_SMALL,
    state: 'bound',
    parameters: {},
    result: { credentials: { username: `u-${bindingId}` } },
    history: [],
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

const longAgo = '2001-01-01T00:00:00.000Z';

describe.each<[string, () => StateStore]>([
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore (:memory:)', () => new SqliteStore({ path: ':memory:' })],
  ['SqliteStore (file)', () => new SqliteStore({ path: freshFile() })],
])('%s', (_name, make) => {
  let store: StateStore;

  beforeEach(async () => {
    store = make();
    await store.init();
  });

  afterEach(() => store.close());

  it('init is safe to call again', async () => {
    await store.putInstance(instance('i-1'), null);
    await store.init();
    expect((await store.getInstance('i-1'))?.version).toBe(1);
  });

  it('an unknown id reads as undefined', async () => {
    expect(await store.getInstance('i-none')).toBeUndefined();
    expect(await store.getBinding('i-none', 'b-none')).toBeUndefined();
    expect(await store.listBindings('i-none')).toEqual([]);
  });

  it('insert-if-absent: the first insert wins, a second one changes nothing', async () => {
    const first = instance('i-1', { parameters: { size: 1 } });
    expect(await store.putInstance(first, null)).toBe(1);
    expect(await store.putInstance(instance('i-1', { parameters: { size: 2 } }), null)).toBeUndefined();
    expect(await store.getInstance('i-1')).toEqual({ record: first, version: 1 });
  });

  it('compare-and-set: a write with the current version wins, a stale one is refused', async () => {
    await store.putInstance(instance('i-1'), null);
    const second = instance('i-1', { parameters: { size: 2 } });
    expect(await store.putInstance(second, 1)).toBe(2);
    expect(await store.putInstance(instance('i-1', { parameters: { size: 3 } }), 1)).toBeUndefined();
    expect(await store.putInstance(instance('i-1', { parameters: { size: 4 } }), 7)).toBeUndefined();
    expect(await store.getInstance('i-1')).toEqual({ record: second, version: 2 });
  });

  it('compare-and-set on a record that does not exist is refused', async () => {
    expect(await store.putInstance(instance('i-1'), 1)).toBeUndefined();
    expect(await store.putBinding(binding('i-1', 'b-1'), 1)).toBeUndefined();
    expect(await store.getInstance('i-1')).toBeUndefined();
  });

  it('of concurrent writers with the same version exactly one wins', async () => {
    await store.putInstance(instance('i-1'), null);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.putInstance(instance('i-1', { parameters: { writer: i } }), 1)),
    );
    const winners = results.filter((v) => v !== undefined);
    expect(winners).toEqual([2]);
    const winner = results.indexOf(2);
    expect(await store.getInstance('i-1')).toEqual({ record: instance('i-1', { parameters: { writer: winner } }), version: 2 });
  });

  it('of concurrent inserts exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.putBinding(binding('i-1', 'b-1', { parameters: { writer: i } }), null)));
    expect(results.filter((v) => v !== undefined)).toEqual([1]);
  });

  it('a read right after a write sees the write', async () => {
    const write = store.putInstance(instance('i-1', { parameters: { size: 9 } }), null);
    expect(await store.getInstance('i-1')).toMatchObject({ record: { parameters: { size: 9 } }, version: 1 });
    expect(await write).toBe(1);
  });

  it('hands out copies: changing a record read does not change the store', async () => {
    await store.putInstance(instance('i-1'), null);
    const read = (await store.getInstance('i-1'))!;
    read.record.parameters.size = 99;
    read.record.history.push(operation('failed'));
    expect((await store.getInstance('i-1'))!.record).toEqual(instance('i-1'));
  });

  it('keeps JSON exactly: unicode, nesting, nulls, operations and history', async () => {
    const record = instance('i-1', {
      parameters: { name: 'été ☃', nested: { list: [1, 'two', null, { deep: true }] }, nothing: null },
      context: { platform: 'kubernetes', namespace: 'ns' },
      dashboardUrl: null,
      data: ['private', { n: 1.5 }],
      operation: operation('succeeded', 'op-2'),
      history: [operation('failed', 'op-1')],
    });
    await store.putInstance(record, null);
    expect((await store.getInstance('i-1'))!.record).toEqual(record);
  });

  it('bindings are keyed by instance and binding id, and listed per instance', async () => {
    expect(await store.putBinding(binding('i-1', 'b-1'), null)).toBe(1);
    expect(await store.putBinding(binding('i-1', 'b-2'), null)).toBe(1);
    expect(await store.putBinding(binding('i-2', 'b-1', { parameters: { other: true } }), null)).toBe(1);
    expect(await store.putBinding(binding('i-1', 'b-1', { state: 'deleted' }), 1)).toBe(2);
    expect(await store.putBinding(binding('i-1', 'b-1'), 1)).toBeUndefined();

    expect((await store.getBinding('i-2', 'b-1'))!.record.parameters).toEqual({ other: true });
    const listed = await store.listBindings('i-1');
    expect(listed.map((b) => [b.record.bindingId, b.record.state, b.version]).sort()).toEqual([
      ['b-1', 'deleted', 2],
      ['b-2', 'bound', 1],
    ]);
  });

  it('listPending names the records whose operation is in progress, and only those', async () => {
    await store.putInstance(instance('i-run', { state: 'provisioning', operation: operation('in progress') }), null);
    await store.putInstance(instance('i-done', { operation: operation('succeeded') }), null);
    await store.putInstance(instance('i-none'), null);
    await store.putBinding(binding('i-done', 'b-run', { state: 'binding', operation: operation('in progress') }), null);
    await store.putBinding(binding('i-done', 'b-failed', { state: 'failed', operation: operation('failed') }), null);
    const sorted = async () => (await store.listPending()).map((t) => JSON.stringify(t)).sort();
    expect(await sorted()).toEqual([
      JSON.stringify({ type: 'binding', instanceId: 'i-done', bindingId: 'b-run' }),
      JSON.stringify({ type: 'instance', instanceId: 'i-run' }),
    ]);

    await store.putInstance(instance('i-run', { operation: operation('succeeded') }), 1);
    await store.putBinding(binding('i-done', 'b-run', { operation: operation('failed') }), 1);
    expect(await store.listPending()).toEqual([]);
  });

  it('purgeDeleted drops deleted records changed before the cutoff, nothing else', async () => {
    await store.putInstance(instance('i-old-deleted', { state: 'deleted', updatedAt: longAgo }), null);
    await store.putInstance(instance('i-new-deleted', { state: 'deleted' }), null);
    await store.putInstance(instance('i-old-live', { updatedAt: longAgo }), null);
    await store.putInstance(instance('i-old-failed', { state: 'failed', updatedAt: longAgo }), null);
    await store.putBinding(binding('i-old-live', 'b-old-deleted', { state: 'deleted', updatedAt: longAgo }), null);
    await store.putBinding(binding('i-old-live', 'b-old-bound', { updatedAt: longAgo }), null);

    const cutoff = new Date(Date.now() - 60_000);
    expect(await store.purgeDeleted(cutoff)).toBe(2);
    expect(await store.getInstance('i-old-deleted')).toBeUndefined();
    expect(await store.getBinding('i-old-live', 'b-old-deleted')).toBeUndefined();
    for (const id of ['i-new-deleted', 'i-old-live', 'i-old-failed']) expect(await store.getInstance(id)).toBeDefined();
    expect(await store.getBinding('i-old-live', 'b-old-bound')).toBeDefined();
    expect(await store.purgeDeleted(cutoff)).toBe(0);
    // A purged id can be created afresh.
    expect(await store.putInstance(instance('i-old-deleted'), null)).toBe(1);
  });
});

describe('SqliteStore on a file', () => {
  it('creates missing parent directories, and a reopened store reads back everything', async () => {
    const path = freshFile();
    const first = new SqliteStore({ path });
    await first.init();
    const record = instance('i-1', { state: 'provisioning', operation: operation('in progress'), parameters: { size: 5 } });
    await first.putInstance(record, null);
    await first.putInstance({ ...record, parameters: { size: 6 } }, 1);
    await first.putBinding(binding('i-1', 'b-1'), null);
    await first.close();

    const reopened = new SqliteStore({ path });
    await reopened.init();
    try {
      expect(await reopened.getInstance('i-1')).toEqual({ record: { ...record, parameters: { size: 6 } }, version: 2 });
      expect(await reopened.getBinding('i-1', 'b-1')).toEqual({ record: binding('i-1', 'b-1'), version: 1 });
      expect(await reopened.listPending()).toEqual([{ type: 'instance', instanceId: 'i-1' }]);
      // Versions carry on where they were.
      expect(await reopened.putInstance(record, 1)).toBeUndefined();
      expect(await reopened.putInstance(record, 2)).toBe(3);
    } finally {
      await reopened.close();
    }
  });

  it('close commits writes that were still queued', async () => {
    const path = freshFile();
    const store = new SqliteStore({ path });
    await store.init();
    const pending = store.putInstance(instance('i-1'), null);
    await store.close();
    expect(await pending).toBe(1);

    const reopened = new SqliteStore({ path });
    await reopened.init();
    expect((await reopened.getInstance('i-1'))?.version).toBe(1);
    await reopened.close();
  });

  it('two stores on one file (two replicas) see each other and conflict correctly', async () => {
    const path = freshFile();
    const a = new SqliteStore({ path });
    const b = new SqliteStore({ path });
    await a.init();
    await b.init();
    try {
      expect(await a.putInstance(instance('i-1'), null)).toBe(1);
      expect(await b.putInstance(instance('i-1'), null)).toBeUndefined();
      expect(await b.putInstance(instance('i-1', { parameters: { by: 'b' } }), 1)).toBe(2);
      expect(await a.putInstance(instance('i-1', { parameters: { by: 'a' } }), 1)).toBeUndefined();
      expect((await a.getInstance('i-1'))!.record.parameters).toEqual({ by: 'b' });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a file written by a newer schema', async () => {
    const path = freshFile();
    const store = new SqliteStore({ path });
    await store.init();
    await store.close();
    const db = new Database(path);
    db.prepare('UPDATE osb_schema SET version = 99').run();
    db.close();

    const newer = new SqliteStore({ path });
    await expect(newer.init()).rejects.toThrow(/written by a newer osbkit \(schema 99 > 1\)/);
    await newer.close();
  });
});
