import Database from 'better-sqlite3';
import { SqliteStore } from '../sdk';
import type { BindingRecord, InstanceRecord } from '../sdk/store/types';
import { PLAN, SERVICE } from './load';

/**
 * Fills an SDK SQLite state file with `instances` provisioned instances, each with one bound
 * binding, as a broker that has run for a long time holds them. The rows go in with plain SQL
 * in one transaction (a second or two for 100,000), not through the broker, so a growth run
 * spends its time on what it measures. The schema is the store's own: it is made by
 * SqliteStore.init first.
 */
export async function prefillSdkStore(path: string, instances: number): Promise<void> {
  const store = new SqliteStore({ path, checkpointIntervalMs: 0 });
  await store.init();
  await store.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const insertInstance = db.prepare(
    "INSERT INTO osb_instances (instance_id, version, state, op_state, updated_at, doc) VALUES (?, 2, 'provisioned', 'succeeded', ?, ?)",
  );
  const insertBinding = db.prepare(
    "INSERT INTO osb_bindings (instance_id, binding_id, version, state, op_state, updated_at, doc) VALUES (?, ?, 2, 'bound', 'succeeded', ?, ?)",
  );
  const at = new Date().toISOString();
  const operation = (id: string, kind: 'provision' | 'bind') => ({
    id, kind, state: 'succeeded' as const, async: false, attempts: 1, request: { caller: { apiVersion: '2.17' } }, startedAt: at, updatedAt: at,
  });
  const fill = db.transaction(() => {
    for (let n = 0; n < instances; n++) {
      const instanceId = `prefilled-${n}`;
      const instance: InstanceRecord = {
        instanceId, serviceId: SERVICE, planId: PLAN, state: 'provisioned', parameters: { character_set: 'utf8mb4' },
        organizationGuid: 'org', spaceGuid: 'space', dashboardUrl: 'https://dashboard.example/bench',
        operation: operation(`p-${n}`, 'provision'), history: [], createdAt: at, updatedAt: at,
      };
      insertInstance.run(instanceId, at, JSON.stringify(instance));
      const binding: BindingRecord = {
        instanceId, bindingId: `b-${n}`, serviceId: SERVICE, planId: PLAN, state: 'bound', parameters: {},
        bindResource: { app_guid: 'app' }, appGuid: 'app', result: { credentials: { username: 'bench', password: 'bench-password' } },
        operation: operation(`o-${n}`, 'bind'), history: [], createdAt: at, updatedAt: at,
      };
      insertBinding.run(instanceId, `b-${n}`, at, JSON.stringify(binding));
    }
  });
  fill();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
