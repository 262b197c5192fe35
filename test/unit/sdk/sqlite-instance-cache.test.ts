import Database from 'better-sqlite3';
import { InstanceCache } from '../../../sdk/store/sqlite-instance-cache';
import { instance } from '../../support/store-records';

/**
 * SqliteStore's instance reads keep what they decoded (sdk/store/sqlite-instance-cache.ts).
 * A kept record is handed out again only while its row still has the version and write time
 * it was read with; anything else reads the row afresh.
 */

let db: Database.Database;
let cache: InstanceCache;
let probes: number;

beforeEach(() => {
  db = new Database(':memory:');
  db.exec('CREATE TABLE osb_instances (instance_id TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at TEXT NOT NULL, doc TEXT NOT NULL)');
  const probe = db.prepare<[number, string, string]>(
    'SELECT version, updated_at, CASE WHEN version = ? AND updated_at = ? THEN NULL ELSE doc END AS doc FROM osb_instances WHERE instance_id = ?',
  );
  probes = 0;
  const counted = { get: (...args: [number, string, string]) => (probes++, probe.get(...args)) };
  cache = new InstanceCache(counted, 2);
});
afterEach(() => db.close());

function write(instanceId: string, version: number, updatedAt: string, parameters: Record<string, number>): void {
  db.prepare('INSERT OR REPLACE INTO osb_instances (instance_id, version, updated_at, doc) VALUES (?, ?, ?, ?)')
    .run(instanceId, version, updatedAt, JSON.stringify(instance(instanceId, { parameters, updatedAt })));
}

it('hands out the kept, frozen record while the row is unchanged, and reads a changed row afresh', () => {
  write('i-1', 1, '2026-01-01T00:00:00.000Z', { size: 1 });
  const first = cache.read('i-1', false)!;
  expect(Object.isFrozen(first.record)).toBe(true);
  expect(cache.read('i-1', false)!.record).toBe(first.record);

  // Another connection writes: same version number after a purge and a new create, other write time.
  write('i-1', 1, '2026-01-01T00:00:01.000Z', { size: 2 });
  expect(cache.read('i-1', false)).toEqual({ record: expect.objectContaining({ parameters: { size: 2 } }), version: 1 });

  db.prepare('DELETE FROM osb_instances').run();
  expect(cache.read('i-1', false)).toBeUndefined();
});

it('inside a write transaction, a record seen in the current epoch costs no statement until the epoch moves', () => {
  write('i-1', 1, '2026-01-01T00:00:00.000Z', { size: 1 });
  cache.read('i-1', true);
  const before = probes;
  cache.read('i-1', true);
  expect(probes).toBe(before);
  // Outside a transaction, or in a new epoch, the row is asked again.
  cache.read('i-1', false);
  expect(probes).toBe(before + 1);
  cache.read('i-1', true);
  cache.newEpoch();
  cache.read('i-1', true);
  expect(probes).toBe(before + 3);
});

it('forget and clear make the next read decode the row; the oldest record goes when the cache is full', () => {
  write('i-1', 1, '2026-01-01T00:00:00.000Z', { size: 1 });
  const kept = cache.read('i-1', false)!.record;
  cache.forget('i-1');
  expect(cache.read('i-1', false)!.record).not.toBe(kept);
  const again = cache.read('i-1', false)!.record;
  cache.clear();
  expect(cache.read('i-1', false)!.record).not.toBe(again);

  write('i-2', 1, '2026-01-01T00:00:00.000Z', { size: 2 });
  write('i-3', 1, '2026-01-01T00:00:00.000Z', { size: 3 });
  const second = cache.read('i-2', false)!.record;
  cache.read('i-3', false);
  // The limit is 2: i-1, read first, made room for i-3; i-2 is still kept.
  expect(cache.read('i-2', false)!.record).toBe(second);
  const third = cache.read('i-1', false)!.record;
  expect(cache.read('i-1', false)!.record).toBe(third);
});
