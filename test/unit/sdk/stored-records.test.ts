import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../sdk';
import { PLAN_LARGE, PLAN_SMALL, SERVICE_ID } from '../../support/fixtures';
import { closeBrokers, paths, startBroker, waitFor } from '../../support/osb-harness';

/**
 * Operations in progress as the SDK stored them before each kind of operation got a typed
 * record (osbkit b92951d): a state file written then must still load, and its operations
 * resume after a restart with everything their broker method needs. The rows below are the
 * JSON that version wrote, byte for byte in shape; their runner is dead and its lease over.
 */

const LONG_AGO = '2026-01-01T00:00:00.000Z';
const DEAD_LEASE = Date.parse(LONG_AGO) + 30_000;
// The originating identity `cloudfoundry {"user_id":"dev-1"}`.
const IDENTITY = `cloudfoundry ${Buffer.from('{"user_id":"dev-1"}').toString('base64')}`;
const CALLER = { apiVersion: '2.16', requestId: 'req-old', identityHeader: IDENTITY };

function progress(id: string, kind: string): Record<string, unknown> {
  return { id, kind, state: 'in progress', async: true, owner: 'a-runner-long-gone', leaseUntil: DEAD_LEASE, attempts: 1, startedAt: LONG_AGO, updatedAt: LONG_AGO };
}

function instanceRow(instanceId: string, state: string, operation: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    instanceId,
    serviceId: SERVICE_ID,
    planId: PLAN_SMALL,
    state,
    parameters: { size: 3 },
    organizationGuid: 'org-1',
    spaceGuid: 'space-1',
    operation,
    history: [],
    createdAt: LONG_AGO,
    updatedAt: LONG_AGO,
    context: { platform: 'cloudfoundry', space_guid: 'space-1' },
    ...extra,
  };
}

function bindingRow(instanceId: string, bindingId: string, state: string, operation: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    instanceId,
    bindingId,
    serviceId: SERVICE_ID,
    planId: PLAN_SMALL,
    parameters: { read_only: true },
    bindResource: { app_guid: 'app-1' },
    appGuid: 'app-1',
    state,
    operation,
    history: [],
    createdAt: LONG_AGO,
    updatedAt: LONG_AGO,
    ...extra,
  };
}

const provisioning = instanceRow('inst-p', 'provisioning', { ...progress('provision-old-1', 'provision'), request: { caller: CALLER }, checkpoint: { made: 'database' } });
const updating = instanceRow('inst-u', 'provisioned', {
  ...progress('update-old-1', 'update'),
  fingerprint: '{"parameters":{"size":5},"planId":"plan-large-0001"}',
  request: { caller: CALLER, planId: PLAN_LARGE, parameters: { size: 5 }, previousValues: { plan_id: PLAN_SMALL } },
}, { dashboardUrl: 'https://dash.example/inst-u' });
// A deprovision that halted a provision: the provision's last checkpoint was handed over.
const deprovisioning = instanceRow('inst-d', 'provisioning', { ...progress('deprovision-old-1', 'deprovision'), request: { caller: CALLER, haltedCheckpoint: { made: 'half' } } }, {
  history: [{ ...progress('provision-old-2', 'provision'), state: 'failed', haltRequested: true, owner: undefined, leaseUntil: undefined, request: { caller: CALLER }, description: 'Halted: a deprovision request arrived before it finished.' }],
});
const host = instanceRow('inst-b', 'provisioned', undefined);
const binding = bindingRow('inst-b', 'bind-b', 'binding', { ...progress('bind-old-1', 'bind'), request: { caller: CALLER } });
const unbinding = bindingRow('inst-b', 'bind-u', 'bound', { ...progress('unbind-old-1', 'unbind'), request: { caller: CALLER, haltedCheckpoint: 7 } }, {
  result: { credentials: { username: 'old' } },
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osbkit-old-records-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => closeBrokers());

/** A state file holding `instances` and `bindings` as rows the previous version wrote. */
async function stateFile(instances: Array<Record<string, unknown>>, bindings: Array<Record<string, unknown>>): Promise<string> {
  const path = join(dir, `state-${Math.random().toString(36).slice(2)}.db`);
  const schema = new SqliteStore({ path, checkpointIntervalMs: 0 });
  await schema.init();
  await schema.close();
  const db = new Database(path);
  const opState = (row: Record<string, unknown>) => (row.operation as { state?: string } | undefined)?.state ?? null;
  for (const row of instances) {
    db.prepare('INSERT INTO osb_instances (instance_id, version, state, op_state, updated_at, doc) VALUES (?, 1, ?, ?, ?, ?)')
      .run(row.instanceId, row.state, opState(row), row.updatedAt, JSON.stringify(row));
  }
  for (const row of bindings) {
    db.prepare('INSERT INTO osb_bindings (instance_id, binding_id, version, state, op_state, updated_at, doc) VALUES (?, ?, 1, ?, ?, ?, ?)')
      .run(row.instanceId, row.bindingId, row.state, opState(row), row.updatedAt, JSON.stringify(row));
  }
  db.close();
  return path;
}

test('operations stored in the previous shape resume after a restart and finish, each broker method handed what it needs', async () => {
  const path = await stateFile([provisioning, updating, deprovisioning, host], [binding, unbinding]);
  const t = startBroker({ store: new SqliteStore({ path, checkpointIntervalMs: 0 }) });
  await t.app.start();

  const finished = async (url: string): Promise<string> => {
    const res = await t.osb.get(url);
    return res.status === 200 && res.body.state !== 'in progress' ? res.body.state : '';
  };
  for (const url of [
    paths.instanceLastOperation('inst-p'), paths.instanceLastOperation('inst-u'), paths.instanceLastOperation('inst-d'),
    paths.bindingLastOperation('inst-b', 'bind-b'), paths.bindingLastOperation('inst-b', 'bind-u'),
  ]) {
    expect(await waitFor(() => finished(url), `${url} to finish`)).toBe('succeeded');
  }

  const caller = { apiVersion: '2.16', requestId: 'req-old', identity: { platform: 'cloudfoundry', userId: 'dev-1' } };
  const [provision] = t.broker.received.provision;
  expect(provision).toMatchObject({ step: 2, checkpoint: { made: 'database' }, request: { instanceId: 'inst-p', parameters: { size: 3 }, caller } });
  const [update] = t.broker.received.update;
  expect(update!.request).toMatchObject({ planChanged: true, plan: { id: PLAN_LARGE }, parameters: { size: 5 }, previousValues: { plan_id: PLAN_SMALL }, caller });
  const [deprovision] = t.broker.received.deprovision;
  expect(deprovision!.request).toMatchObject({ instance: { instanceId: 'inst-d' }, haltedCheckpoint: { made: 'half' }, caller });
  const [bind] = t.broker.received.bind;
  expect(bind!.request).toMatchObject({ bindingId: 'bind-b', appGuid: 'app-1', bindResource: { app_guid: 'app-1' }, caller });
  const [unbind] = t.broker.received.unbind;
  expect(unbind!.request).toMatchObject({ binding: { bindingId: 'bind-u' }, haltedCheckpoint: 7, caller });

  expect((await t.store.getInstance('inst-p'))!.record).toMatchObject({ state: 'provisioned', operation: { kind: 'provision', state: 'succeeded' } });
  expect((await t.store.getInstance('inst-u'))!.record).toMatchObject({ planId: PLAN_LARGE, parameters: { size: 5 }, operation: { kind: 'update', state: 'succeeded' } });
  expect((await t.store.getInstance('inst-d'))!.record.state).toBe('deleted');
  expect((await t.store.getBinding('inst-b', 'bind-b'))!.record.state).toBe('bound');
  expect((await t.store.getBinding('inst-b', 'bind-u'))!.record).toMatchObject({ state: 'deleted' });
});
