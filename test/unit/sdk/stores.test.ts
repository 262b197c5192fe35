import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryStore, SqliteStore } from '../../../sdk';
import { WalCheckpointer } from '../../../sdk/store/sqlite-checkpointer';
import { describeStateStoreContract } from '../../support/store-contract';
import { binding, instance, operation } from '../../support/store-records';

/** The StateStore contract, run against every store the SDK ships; then SqliteStore's own cases. */

let dir: string;
let files = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osbkit-stores-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const freshFile = (): string => join(dir, `nested-${++files}`, 'state.db');

describeStateStoreContract('MemoryStore', () => new MemoryStore());
describeStateStoreContract('SqliteStore (:memory:)', () => new SqliteStore({ path: ':memory:' }));
describeStateStoreContract('SqliteStore (file)', () => new SqliteStore({ path: freshFile() }));

/** Two stores on one file, as two replicas would open it; both are closed afterwards. */
async function withTwoStores(test: (a: SqliteStore, b: SqliteStore) => Promise<void>): Promise<void> {
  const path = freshFile();
  const a = new SqliteStore({ path });
  const b = new SqliteStore({ path });
  await a.init();
  await b.init();
  try {
    await test(a, b);
  } finally {
    await a.close();
    await b.close();
  }
}

/** A fresh state file that a store has set up and closed, for tests that look at it with SQLite itself. */
async function initialisedFile(): Promise<string> {
  const path = freshFile();
  const store = new SqliteStore({ path });
  await store.init();
  await store.close();
  return path;
}

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

  it('a new state file, which holds credentials, is readable by its owner only, and so are its WAL files', async () => {
    const path = freshFile();
    const store = new SqliteStore({ path });
    await store.init();
    try {
      await store.putBinding(binding('i-1', 'b-1'), null);
      await store.sync!();
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    } finally {
      await store.close();
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

  it('two stores on one file (two replicas) see each other and conflict correctly', () =>
    withTwoStores(async (a, b) => {
      expect(await a.putInstance(instance('i-1'), null)).toBe(1);
      expect(await b.putInstance(instance('i-1'), null)).toBeUndefined();
      expect(await b.putInstance(instance('i-1', { parameters: { by: 'b' } }), 1)).toBe(2);
      expect(await a.putInstance(instance('i-1', { parameters: { by: 'a' } }), 1)).toBeUndefined();
      expect((await a.getInstance('i-1'))!.record.parameters).toEqual({ by: 'b' });
    }));

  it('keeps decoded instances between reads, and still sees another store\'s write, even one that made the record afresh', () =>
    withTwoStores(async (a, b) => {
      await a.putInstance(instance('i-1', { updatedAt: '2026-01-01T00:00:00.000Z' }), null);
      await a.sync!();
      const first = (await a.getInstance('i-1'))!;
      const again = (await a.getInstance('i-1'))!;
      // The same decoded record, frozen because every reader shares it.
      expect(again.record).toBe(first.record);
      expect(Object.isFrozen(first.record.parameters)).toBe(true);

      expect(await b.putInstance(instance('i-1', { parameters: { by: 'b' }, updatedAt: '2026-01-01T00:00:01.000Z' }), 1)).toBe(2);
      await b.sync!();
      expect(await a.getInstance('i-1')).toEqual({ record: expect.objectContaining({ parameters: { by: 'b' } }), version: 2 });

      // Deleted, purged and created again by b: version 1 again, but a new write time.
      expect(await b.putInstance(instance('i-1', { state: 'deleted', updatedAt: '2026-01-01T00:00:02.000Z' }), 2)).toBe(3);
      expect(await b.purgeDeleted(new Date('2026-02-01T00:00:00.000Z'))).toBe(1);
      await b.sync!();
      expect(await a.getInstance('i-1')).toBeUndefined();
      expect(await b.putInstance(instance('i-1', { parameters: { round: 2 }, updatedAt: '2026-01-01T00:00:03.000Z' }), null)).toBe(1);
      await b.sync!();
      expect((await a.getInstance('i-1'))!.record.parameters).toEqual({ round: 2 });
    }));

  it('reads inside a write transaction trust a record checked in it, and still see what another store committed before it began', () =>
    withTwoStores(async (a, b) => {
      await a.putInstance(instance('i-3', { parameters: { by: 'a' } }), null);
      await a.sync!();
      const first = (await a.getInstance('i-3', { forWrite: true }))!;
      expect((await a.getInstance('i-3', { forWrite: true }))!.record).toBe(first.record);
      await a.sync!();

      // b commits between a's transactions, at a's version plus one: a must notice.
      expect(await b.putInstance(instance('i-3', { parameters: { by: 'b' } }), 1)).toBe(2);
      await b.sync!();
      expect(await a.getInstance('i-3', { forWrite: true })).toEqual({ record: expect.objectContaining({ parameters: { by: 'b' } }), version: 2 });
      await a.sync!();

      // And once more with b's write made while a held no transaction at all.
      expect(await b.putInstance(instance('i-3', { parameters: { by: 'b', round: 2 } }), 2)).toBe(3);
      await b.sync!();
      expect(await a.getInstance('i-3')).toMatchObject({ record: { parameters: { round: 2 } }, version: 3 });
      expect(await a.getInstance('i-3', { forWrite: true })).toMatchObject({ record: { parameters: { round: 2 } }, version: 3 });
      // a's own writes replace what it kept.
      expect(await a.putInstance(instance('i-3', { parameters: { by: 'a', round: 3 } }), 3)).toBe(4);
      expect(await a.getInstance('i-3', { forWrite: true })).toMatchObject({ record: { parameters: { round: 3 } }, version: 4 });
    }));

  it('a commit that fails rejects every writer waiting on it, leaves nothing of it behind, and the store carries on', async () => {
    const store = new SqliteStore({ path: freshFile() });
    await store.init();
    try {
      await store.putInstance(instance('kept'), null);
      await store.sync!();
      expect((await store.getInstance('kept', { forWrite: true }))!.version).toBe(1);
      // The disk refusing the commit (full, or an I/O error), stood in for by the statement.
      const statements = (store as unknown as { statements: { commit: { run(): unknown } } }).statements;
      const realCommit = statements.commit;
      statements.commit = { run: () => { throw new Error('disk I/O error'); } };
      await store.putInstance(instance('lost'), null);
      await store.putInstance(instance('kept', { parameters: { changed: true } }), 1);
      const settled = await Promise.allSettled([store.sync!(), store.sync!()]);
      statements.commit = realCommit;
      for (const result of settled) expect(result).toMatchObject({ status: 'rejected', reason: new Error('disk I/O error') });
      expect(await store.getInstance('lost')).toBeUndefined();
      expect(await store.getInstance('kept', { forWrite: true })).toMatchObject({ record: { parameters: {} }, version: 1 });
      expect(await store.putInstance(instance('after'), null)).toBe(1);
      await store.sync!();
      expect((await store.getInstance('after'))!.version).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('a record created afresh by another store with the same version is told apart by its write time', () =>
    withTwoStores(async (a, b) => {
      await a.putInstance(instance('i-2', { parameters: { round: 1 }, updatedAt: '2026-01-01T00:00:00.000Z' }), null);
      await a.sync!();
      expect((await a.getInstance('i-2'))!.record.parameters).toEqual({ round: 1 });
      // Behind a's back: deleted and purged, then made again at version 1 before a reads.
      await b.putInstance(instance('i-2', { state: 'deleted', updatedAt: '2026-01-01T00:00:01.000Z' }), 1);
      await b.purgeDeleted(new Date('2026-02-01T00:00:00.000Z'));
      await b.putInstance(instance('i-2', { parameters: { round: 2 }, updatedAt: '2026-01-01T00:00:02.000Z' }), null);
      await b.sync!();
      expect(await a.getInstance('i-2')).toEqual({ record: expect.objectContaining({ parameters: { round: 2 } }), version: 1 });
    }));

  /**
   * Writes enough rows for a few hundred KB of WAL and reports how much the main file grew
   * while the store stayed open: only a checkpoint copies pages into it, and SQLite's own
   * threshold (1,000 pages, about 4 MB) is far off.
   */
  async function mainFileGrowth(checkpointIntervalMs: number, waitMs: number): Promise<number> {
    const path = freshFile();
    const store = new SqliteStore({ path, checkpointIntervalMs });
    await store.init();
    try {
      const before = statSync(path).size;
      const padding = 'x'.repeat(800);
      for (let i = 0; i < 400; i++) {
        await store.putInstance(instance(`i-${i}`, { parameters: { padding } }), null);
        if (i % 50 === 49) await store.sync!();
      }
      await store.sync!();
      // Bounded wait: the checkpoint thread runs every few milliseconds in this test.
      const deadline = Date.now() + waitMs;
      while (statSync(path).size - before < 200_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      return statSync(path).size - before;
    } finally {
      await store.close();
    }
  }

  it('a background thread copies the WAL into the main file while the store serves writes', async () => {
    expect(await mainFileGrowth(10, 3_000)).toBeGreaterThanOrEqual(200_000);
  });

  it('with the background thread off, the WAL waits for SQLite\'s own threshold (the control for the test above)', async () => {
    // Thirty checkpoint intervals of the test above.
    expect(await mainFileGrowth(0, 300)).toBeLessThan(200_000);
  });

  it('the checkpoint thread reports its failure, so the store can hand checkpoints back to SQLite', async () => {
    const failures: unknown[] = [];
    const checkpointer = new WalCheckpointer({ file: join(dir, 'no-such-dir', 'state.db'), intervalMs: 10, onFailure: (error) => failures.push(error) });
    const deadline = Date.now() + 5_000;
    while (failures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(String(failures[0])).toMatch(/directory does not exist|unable to open|cannot open/i);
    // Reported once, although the thread both threw and exited; stopping a dead thread returns.
    await new Promise((r) => setTimeout(r, 100));
    expect(failures).toHaveLength(1);
    await checkpointer.stop();
  });

  it('the purge of deleted records finds them through an index instead of reading every live record', async () => {
    const db = new Database(await initialisedFile());
    for (const table of ['osb_instances', 'osb_bindings']) {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN DELETE FROM ${table} WHERE state = 'deleted' AND updated_at < ?`)
        .all('2026-01-01T00:00:00.000Z') as Array<{ detail: string }>;
      expect(plan.map((step) => step.detail)).toEqual([`SEARCH ${table} USING INDEX ${table}_deleted (updated_at<?)`]);
    }
    db.close();
  });

  it('refuses a file written by a newer schema', async () => {
    const path = await initialisedFile();
    const db = new Database(path);
    db.prepare('UPDATE osb_schema SET version = 99').run();
    db.close();

    const newer = new SqliteStore({ path });
    await expect(newer.init()).rejects.toThrow(/written by a newer osbkit \(schema 99 > 1\)/);
    await newer.close();
  });
});
