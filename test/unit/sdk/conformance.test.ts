import pino from 'pino';
import { createBroker, errors, formatOriginatingIdentity, inProgress, MemoryStore, OsbError } from '../../../sdk';
import type { BindingRecord, InstanceRecord, StateStore, Versioned } from '../../../sdk';
import { describeConformance, type PlanOptions } from '../../../sdk/testkit';
import { ConformanceBroker } from '../../support/conformance-broker';
import {
  OTHER_PLAN, OTHER_SERVICE_ID, PLAN_ASYNC, PLAN_FIXED, PLAN_LARGE, PLAN_NOBIND, PLAN_SMALL, SERVICE_ID, testCatalog,
} from '../../support/fixtures';
import {
  API_VERSION, bindBody, captureLogs, closeBrokers, CREDENTIALS, deleteQuery, Osb, paths, pollLastOperation, provisionBody,
  quietPeriod, startBroker, waitFor, type TestBroker,
} from '../../support/osb-harness';

/**
 * The SDK against OSB 2.17, in two parts. The spec's rules as a platform sees them are the
 * conformance suite of osbkit/testkit (sdk/testkit), the same one broker authors and
 * `osbkit check` run; here it runs against the SDK's test broker. The tests below are what
 * only an in-process test can see: the answer together with what it did, the broker's
 * recorded calls and the store's records before and after, and the SDK's own wording.
 */

/** How the test catalog's plans behave, as the testkit needs to know them. */
const TEST_CATALOG_PLANS: Record<string, PlanOptions> = {
  small: { parameters: { size: 3, name: 'orders' }, bindParameters: { read_only: true }, updateParameters: { size: 4 }, async: false },
  large: { async: false },
  fixed: { async: false },
  nobind: { async: false },
  'other/only': { async: false },
  // async: provisions only asynchronously, everything else at once; the suite follows either.
};

describeConformance(
  createBroker({
    catalog: testCatalog(),
    broker: new ConformanceBroker(),
    auth: CREDENTIALS,
    logger: pino({ level: 'silent' }),
    engine: { stepIntervalMs: 10, syncTimeoutMs: 5_000 },
  }),
  { name: 'osbkit/testkit against the SDK', ...CREDENTIALS, strict: true, plans: TEST_CATALOG_PLANS },
);

// The same broker in async mode: every operation answers 202 and stays in progress a moment,
// so the checks of asynchronous behaviour (repeats while running, fetches while running,
// AsyncRequired) run too. Two plans keep it short: a bindable one and another offering's.
describeConformance(
  createBroker({
    catalog: testCatalog(),
    broker: new ConformanceBroker(),
    auth: CREDENTIALS,
    logger: pino({ level: 'silent' }),
    engine: { stepIntervalMs: 10 },
    asyncMode: { delaySeconds: 0.3 },
  }),
  {
    name: 'osbkit/testkit against the SDK in async mode',
    ...CREDENTIALS,
    strict: true,
    maxPollIntervalMs: 100,
    only: ['small', 'other/only'],
    plans: { small: { ...TEST_CATALOG_PLANS.small, async: true }, 'other/only': { async: true } },
  },
);

afterEach(closeBrokers);

async function provisioned(t: TestBroker, instanceId: string, overrides: Record<string, unknown> = {}): Promise<void> {
  const res = await t.osb.put(paths.instance(instanceId), provisionBody(overrides));
  expect(res.status).toBe(201);
}

async function bound(t: TestBroker, instanceId: string, bindingId: string, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const res = await t.osb.put(paths.binding(instanceId, bindingId), bindBody(overrides));
  expect(res.status).toBe(201);
  return res.body as Record<string, unknown>;
}

async function instanceRecord(t: TestBroker, instanceId: string): Promise<InstanceRecord | undefined> {
  return (await t.store.getInstance(instanceId))?.record;
}

/** An instance that does not exist, or only as the "never existed" marker a refused create leaves. */
function absent(record: { state: string } | undefined): boolean {
  return record === undefined || record.state === 'deleted';
}

describe('GET /v2/catalog', () => {
  it('200: the body is the catalog as configured', async () => {
    const { osb } = startBroker();
    const res = await osb.get(paths.catalog);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual(testCatalog());
  });

  it('412 without X-Broker-API-Version', async () => {
    const { app } = startBroker();
    const res = await new Osb(app.handler, CREDENTIALS, null).get(paths.catalog);
    expect(res.status).toBe(412);
    expect(res.body).toEqual({ error: 'PreconditionFailed', description: expect.stringMatching(/X-Broker-API-Version.*missing.*2\.17/) });
  });
});

describe('PUT /v2/service_instances/:instance_id (provision)', () => {
  it('201: provisions once, hands the broker the validated request and stores the instance', async () => {
    const t = startBroker();
    const res = await t.osb.put(paths.instance('inst-1'), provisionBody());
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ dashboard_url: 'https://dash.example/inst-1' });
    expect(t.broker.callsOf('provision')).toEqual(['provision:inst-1:1']);
    expect(t.broker.received.provision[0]!.request).toMatchObject({
      instanceId: 'inst-1',
      offering: { id: SERVICE_ID },
      plan: { id: PLAN_SMALL },
      parameters: { size: 3, name: 'orders' },
      organizationGuid: 'org-guid-1',
      spaceGuid: 'space-guid-1',
      context: { platform: 'cloudfoundry', instance_name: 'db' },
      acceptsIncomplete: false,
      caller: { apiVersion: API_VERSION },
    });
    expect(await instanceRecord(t, 'inst-1')).toMatchObject({
      state: 'provisioned',
      serviceId: SERVICE_ID,
      planId: PLAN_SMALL,
      parameters: { size: 3, name: 'orders' },
      dashboardUrl: 'https://dash.example/inst-1',
      data: { made: 'inst-1' },
      operation: { kind: 'provision', state: 'succeeded' },
    });
  });

  it('200: an identical repeat (keys in another order) answers as before without calling the broker', async () => {
    const t = startBroker();
    const first = await t.osb.put(paths.instance('inst-1'), provisionBody());
    const repeat = await t.osb.put(paths.instance('inst-1'), provisionBody({ parameters: { name: 'orders', size: 3 } }));
    expect(first.status).toBe(201);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    expect(t.broker.callsOf('provision')).toHaveLength(1);
  });

  it('202: an async plan answers with an operation that last_operation follows to success', async () => {
    const t = startBroker();
    const res = await t.osb.put(paths.instance('inst-a', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    expect(res.status).toBe(202);
    expect(Object.keys(res.body)).toEqual(['operation']);
    expect(res.body.operation).toEqual(expect.stringMatching(/^\S+$/));
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-a', { operation: res.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
    expect(t.broker.callsOf('provision')).toEqual(['provision:inst-a:1', 'provision:inst-a:2', 'provision:inst-a:3']);
    expect(await instanceRecord(t, 'inst-a')).toMatchObject({ state: 'provisioned', dashboardUrl: 'https://dash.example/inst-a' });
  });

  it('202: a repeat while the provision runs answers with the SAME operation and starts nothing new', async () => {
    const t = startBroker();
    t.broker.asyncSteps = 1_000;
    const path = paths.instance('inst-a', { accepts_incomplete: true });
    const first = await t.osb.put(path, provisionBody({ plan_id: PLAN_ASYNC }));
    const repeat = await t.osb.put(path, provisionBody({ plan_id: PLAN_ASYNC }));
    expect(first.status).toBe(202);
    expect(repeat.status).toBe(202);
    expect(repeat.body).toEqual({ operation: first.body.operation });
    // Without accepts_incomplete the platform may not get a 202: the repeat is refused instead.
    const sync = await t.osb.put(paths.instance('inst-a'), provisionBody({ plan_id: PLAN_ASYNC }));
    expect(sync.status).toBe(422);
    expect(sync.body).toEqual({ error: 'ConcurrencyError', description: expect.stringMatching(/still being provisioned.*accepts_incomplete=true/) });
    expect(t.broker.callsOf('provision').filter((c) => c.endsWith(':1'))).toEqual(['provision:inst-a:1']);
  });

  it.each<[string, Record<string, unknown>]>([
    ['parameters', { parameters: { size: 4, name: 'orders' } }],
    ['plan', { plan_id: PLAN_LARGE }],
    ['organization_guid', { organization_guid: 'org-guid-2' }],
    ['space_guid', { space_guid: 'space-guid-2' }],
  ])('409: the same id with a different %s', async (_what, overrides) => {
    const t = startBroker();
    await provisioned(t, 'inst-1');
    const before = await t.store.getInstance('inst-1');
    const res = await t.osb.put(paths.instance('inst-1'), provisionBody(overrides));
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: 'Conflict', description: 'Service instance inst-1 already exists with different attributes.' });
    expect(t.broker.callsOf('provision')).toHaveLength(1);
    expect(await t.store.getInstance('inst-1')).toEqual(before);
  });

  const without = (field: string): Record<string, unknown> => {
    const body = provisionBody();
    delete body[field];
    return body;
  };

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['service_id is missing', without('service_id'), /^service_id is required/],
    ['plan_id is missing', without('plan_id'), /^plan_id is required/],
    ['organization_guid is missing', without('organization_guid'), /^organization_guid is required/],
    ['space_guid is missing', without('space_guid'), /^space_guid is required/],
    ['service_id is unknown', provisionBody({ service_id: 'svc-nope' }), /service_id "svc-nope" is not in the catalog/],
    ['plan_id is unknown', provisionBody({ plan_id: 'plan-nope' }), /plan_id "plan-nope" is not in the catalog/],
    ['plan_id belongs to another service', provisionBody({ plan_id: OTHER_PLAN }), /plan_id "plan-other-0001" does not belong to service_id "svc-test-0001"/],
    ['the parameters fail the schema', provisionBody({ parameters: { size: 50 } }), /parameters are invalid: \/size must be <= 10/],
    ['a parameter is not in the schema', provisionBody({ parameters: { colour: 'red' } }), /parameters are invalid: \/colour is not allowed/],
    ['the context has no platform', provisionBody({ context: { organization_guid: 'org-guid-1' } }), /context\.platform must be a non-empty string/],
  ])('400: %s', async (_what, body, description) => {
    const t = startBroker();
    const res = await t.osb.put(paths.instance('inst-bad'), body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'BadRequest', description: expect.stringMatching(description) });
    expect(t.broker.calls).toEqual([]);
    expect(await t.store.getInstance('inst-bad')).toBeUndefined();
    expect(t.store.writes).toBe(0);
  });

  it('422 AsyncRequired: an async-only plan without accepts_incomplete; the instance is not left behind', async () => {
    const t = startBroker();
    const res = await t.osb.put(paths.instance('inst-a'), provisionBody({ plan_id: PLAN_ASYNC }));
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: 'AsyncRequired', description: expect.stringMatching(/asynchronous/) });
    expect(absent(await instanceRecord(t, 'inst-a'))).toBe(true);
    expect((await t.osb.get(paths.instance('inst-a'))).status).toBe(404);
    // The platform retries as told and that works.
    const retry = await t.osb.put(paths.instance('inst-a', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    expect(retry.status).toBe(202);
  });

  it('422 MaintenanceInfoConflict: a maintenance_info.version the plan does not have', async () => {
    const t = startBroker();
    const stale = await t.osb.put(paths.instance('inst-m'), provisionBody({ maintenance_info: { version: '2.0.0' } }));
    expect(stale.status).toBe(422);
    expect(stale.body).toEqual({ error: 'MaintenanceInfoConflict', description: expect.stringMatching(/2\.0\.0 does not match the catalog's 1\.0\.0/) });
    const none = await t.osb.put(paths.instance('inst-f'), provisionBody({ plan_id: PLAN_FIXED, parameters: {}, maintenance_info: { version: '1.0.0' } }));
    expect(none.status).toBe(422);
    expect(none.body).toEqual({ error: 'MaintenanceInfoConflict', description: expect.stringMatching(/has no maintenance_info/) });
    expect(t.broker.calls).toEqual([]);
    expect(t.store.writes).toBe(0);

    const current = await t.osb.put(paths.instance('inst-m'), provisionBody({ maintenance_info: { version: '1.0.0' } }));
    expect(current.status).toBe(201);
    expect(await instanceRecord(t, 'inst-m')).toMatchObject({ maintenanceInfoVersion: '1.0.0' });
  });

  it('a retry after a failed provision starts afresh', async () => {
    const t = startBroker();
    t.broker.failOn('provision', new Error('backend down'));
    const failed = await t.osb.put(paths.instance('inst-r'), provisionBody());
    expect(failed.status).toBe(500);
    const failedRecord = await instanceRecord(t, 'inst-r');
    expect(failedRecord).toMatchObject({ state: 'failed', operation: { kind: 'provision', state: 'failed' } });

    const retry = await t.osb.put(paths.instance('inst-r'), provisionBody());
    expect(retry.status).toBe(201);
    expect(t.broker.callsOf('provision')).toEqual(['provision:inst-r:1', 'provision:inst-r:1']);
    const record = await instanceRecord(t, 'inst-r');
    expect(record).toMatchObject({ state: 'provisioned', operation: { state: 'succeeded' } });
    expect(record!.operation!.id).not.toBe(failedRecord!.operation!.id);
  });

  it('409 for different attributes on an id whose provision failed: the failed instance still exists', async () => {
    const t = startBroker();
    t.broker.failOn('provision', new Error('backend down'));
    expect((await t.osb.put(paths.instance('inst-f'), provisionBody())).status).toBe(500);
    const failed = await t.store.getInstance('inst-f');
    expect(failed!.record).toMatchObject({ state: 'failed', planId: PLAN_SMALL });

    const other = await t.osb.put(paths.instance('inst-f'), provisionBody({ plan_id: PLAN_LARGE, parameters: { size: 9 } }));
    expect(other.status).toBe(409);
    expect(other.body).toEqual({ error: 'Conflict', description: expect.stringMatching(/inst-f exists with different attributes \(its provision failed\)/) });
    expect(t.broker.callsOf('provision')).toEqual(['provision:inst-f:1']);
    expect(await t.store.getInstance('inst-f')).toEqual(failed);
  });

  it('a retry after a failed async provision gets a new operation that succeeds', async () => {
    const t = startBroker();
    t.broker.failOn('provision', new OsbError(500, 'the storage pool is full'), 2);
    const path = paths.instance('inst-r', { accepts_incomplete: true });
    const first = await t.osb.put(path, provisionBody({ plan_id: PLAN_ASYNC }));
    expect(first.status).toBe(202);
    const failed = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-r', { operation: first.body.operation }));
    expect(failed.body).toEqual({ state: 'failed', description: 'the storage pool is full' });

    const retry = await t.osb.put(path, provisionBody({ plan_id: PLAN_ASYNC }));
    expect(retry.status).toBe(202);
    expect(retry.body.operation).not.toBe(first.body.operation);
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-r', { operation: retry.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
  });
});

describe('PATCH /v2/service_instances/:instance_id (update)', () => {
  it('200: changes plan and parameters; the broker sees both plans; the store keeps the merge', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-u');
    const res = await t.osb.patch(paths.instance('inst-u'), {
      service_id: SERVICE_ID,
      plan_id: PLAN_LARGE,
      parameters: { size: 5 },
      previous_values: { plan_id: PLAN_SMALL },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ dashboard_url: 'https://dash.example/inst-u' });
    expect(t.broker.callsOf('update')).toEqual(['update:inst-u']);
    expect(t.broker.received.update[0]!.request).toMatchObject({
      plan: { id: PLAN_LARGE },
      previousPlan: { id: PLAN_SMALL },
      planChanged: true,
      parameters: { size: 5 },
      previousValues: { plan_id: PLAN_SMALL },
      instance: { instanceId: 'inst-u', parameters: { size: 3, name: 'orders' }, data: { made: 'inst-u' } },
      acceptsIncomplete: false,
    });
    expect(await instanceRecord(t, 'inst-u')).toMatchObject({
      planId: PLAN_LARGE,
      parameters: { size: 5, name: 'orders' },
      operation: { kind: 'update', state: 'succeeded' },
    });
  });

  it('202: an async update answers with an operation; the change is stored once it succeeds', async () => {
    const t = startBroker();
    t.broker.asyncKinds.add('update');
    await provisioned(t, 'inst-u');
    const res = await t.osb.patch(paths.instance('inst-u', { accepts_incomplete: true }), { service_id: SERVICE_ID, plan_id: PLAN_LARGE });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ operation: expect.stringMatching(/^\S+$/) });
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-u', { operation: res.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
    expect(t.broker.callsOf('update')).toHaveLength(3);
    expect(await instanceRecord(t, 'inst-u')).toMatchObject({ planId: PLAN_LARGE });
  });

  it('422: a plan change on a plan that is not plan_updateable (parameter updates still work)', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-f', { plan_id: PLAN_FIXED, parameters: {} });
    const before = await t.store.getInstance('inst-f');
    const res = await t.osb.patch(paths.instance('inst-f'), { service_id: SERVICE_ID, plan_id: PLAN_SMALL });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: 'UnprocessableEntity', description: expect.stringMatching(/plan "fixed" is not plan_updateable/) });
    expect(t.broker.callsOf('update')).toEqual([]);
    expect(await t.store.getInstance('inst-f')).toEqual(before);

    const params = await t.osb.patch(paths.instance('inst-f'), { service_id: SERVICE_ID, parameters: { tier: 'gold' } });
    expect(params.status).toBe(200);
    expect(await instanceRecord(t, 'inst-f')).toMatchObject({ planId: PLAN_FIXED, parameters: { tier: 'gold' } });
  });

  it('422 ConcurrencyError while an update runs; an identical repeat gets 202 with the same operation', async () => {
    const t = startBroker();
    t.broker.asyncKinds.add('update');
    t.broker.asyncSteps = 1_000;
    await provisioned(t, 'inst-u');
    const path = paths.instance('inst-u', { accepts_incomplete: true });
    const first = await t.osb.patch(path, { service_id: SERVICE_ID, parameters: { size: 4 } });
    expect(first.status).toBe(202);
    const repeat = await t.osb.patch(path, { service_id: SERVICE_ID, parameters: { size: 4 } });
    expect(repeat.status).toBe(202);
    expect(repeat.body).toEqual({ operation: first.body.operation });

    const other = await t.osb.patch(path, { service_id: SERVICE_ID, parameters: { size: 6 } });
    expect(other.status).toBe(422);
    expect(other.body).toEqual({ error: 'ConcurrencyError', description: expect.stringMatching(/Another operation \(update\).*in progress/) });
    const deprovision = await t.osb.delete(paths.instance('inst-u', deleteQuery(PLAN_SMALL, { accepts_incomplete: true })));
    expect(deprovision.status).toBe(422);
    expect(deprovision.body.error).toBe('ConcurrencyError');
    const bind = await t.osb.put(paths.binding('inst-u', 'bind-1'), bindBody());
    expect(bind.status).toBe(422);
    expect(bind.body.error).toBe('ConcurrencyError');
    expect(t.broker.callsOf('deprovision')).toEqual([]);
    expect(t.broker.callsOf('bind')).toEqual([]);
    expect(t.broker.received.update.filter((r) => r.step === 1)).toHaveLength(1);
  });

  it('400: parameters failing the update schema name the failing path', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-u');
    const before = await t.store.getInstance('inst-u');
    const res = await t.osb.patch(paths.instance('inst-u'), { service_id: SERVICE_ID, parameters: { size: 99 } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'BadRequest', description: expect.stringMatching(/parameters are invalid: \/size must be <= 10/) });
    expect(t.broker.callsOf('update')).toEqual([]);
    expect(await t.store.getInstance('inst-u')).toEqual(before);
  });

  it.each<[string, string, Record<string, unknown>, RegExp]>([
    ['a plan change to a version the target plan lacks', PLAN_SMALL, { plan_id: PLAN_LARGE, maintenance_info: { version: '2.0.0' } }, /2\.0\.0 does not match the catalog's 1\.0\.0/],
    ['no plan change and a version the current plan lacks', PLAN_SMALL, { maintenance_info: { version: '9.9.9' } }, /9\.9\.9 does not match the catalog's 1\.0\.0/],
    ['a version for a plan without maintenance_info', PLAN_FIXED, { maintenance_info: { version: '1.0.0' } }, /has no maintenance_info/],
  ])('422 MaintenanceInfoConflict: %s', async (_what, planId, patch, description) => {
    const t = startBroker();
    await provisioned(t, 'inst-m', { plan_id: planId, parameters: {} });
    const before = await t.store.getInstance('inst-m');
    const res = await t.osb.patch(paths.instance('inst-m'), { service_id: SERVICE_ID, ...patch });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: 'MaintenanceInfoConflict', description: expect.stringMatching(description) });
    expect(t.broker.callsOf('update')).toEqual([]);
    expect(await t.store.getInstance('inst-m')).toEqual(before);
  });

  it('200: a maintenance_info.version equal to the catalog upgrades the instance', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-m');
    const res = await t.osb.patch(paths.instance('inst-m'), { service_id: SERVICE_ID, maintenance_info: { version: '1.0.0' } });
    expect(res.status).toBe(200);
    expect(t.broker.received.update[0]!.request.maintenanceInfoVersion).toBe('1.0.0');
    expect(await instanceRecord(t, 'inst-m')).toMatchObject({ maintenanceInfoVersion: '1.0.0' });
  });

  it('404: an unknown instance', async () => {
    const t = startBroker();
    const res = await t.osb.patch(paths.instance('inst-nope'), { service_id: SERVICE_ID, parameters: { size: 2 } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'NotFound', description: expect.stringMatching(/inst-nope does not exist/) });
    expect(t.broker.calls).toEqual([]);
    expect(t.store.writes).toBe(0);
  });

  it('200: a context-only update when the offering sets allow_context_updates', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-c');
    const context = { platform: 'cloudfoundry', organization_guid: 'org-guid-1', space_guid: 'space-guid-1', instance_name: 'renamed' };
    const res = await t.osb.patch(paths.instance('inst-c'), { service_id: SERVICE_ID, context });
    expect(res.status).toBe(200);
    expect(t.broker.received.update[0]!.request).toMatchObject({ planChanged: false, context });
    expect(t.broker.received.update[0]!.request.parameters).toBeUndefined();
    expect(await instanceRecord(t, 'inst-c')).toMatchObject({ context, parameters: { size: 3, name: 'orders' } });
  });

  it('422: a context-only update when the offering does not allow them', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-o', { service_id: OTHER_SERVICE_ID, plan_id: OTHER_PLAN, parameters: {} });
    const before = await t.store.getInstance('inst-o');
    const res = await t.osb.patch(paths.instance('inst-o'), {
      service_id: OTHER_SERVICE_ID,
      context: { platform: 'cloudfoundry', instance_name: 'renamed' },
    });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: 'UnprocessableEntity', description: expect.stringMatching(/"other" does not allow context updates/) });
    expect(t.broker.callsOf('update')).toEqual([]);
    expect(await t.store.getInstance('inst-o')).toEqual(before);
  });

  it('202 for an async update carries the dashboard URL its first step gave, and the instance keeps it', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-dash');
    // The spec: a new dashboard URL comes with the first answer, even when the update runs on.
    t.broker.update = async (_request, ctx) => (ctx.step === 1 ? inProgress({ dashboardUrl: 'https://dash.example/inst-dash/v2', retryAfterSeconds: 0 }) : {});
    const res = await t.osb.patch(paths.instance('inst-dash', { accepts_incomplete: true }), { service_id: SERVICE_ID, parameters: { size: 4 } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ operation: expect.stringMatching(/^update-/), dashboard_url: 'https://dash.example/inst-dash/v2' });
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-dash', { operation: res.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
    expect(await instanceRecord(t, 'inst-dash')).toMatchObject({ dashboardUrl: 'https://dash.example/inst-dash/v2', parameters: { size: 4 } });
  });

  it('503 when the work outlasts what a request without accepts_incomplete may take; the update goes on and a repeat follows it', async () => {
    const t = startBroker({ engine: { syncTimeoutMs: 300 } });
    await provisioned(t, 'inst-slow');
    // The next step is due after the limit, so the request cannot wait for it.
    t.broker.update = async (_request, ctx) => (ctx.step === 1 ? inProgress({ retryAfterSeconds: 1 }) : {});
    const update = { service_id: SERVICE_ID, parameters: { size: 5 } };
    const res = await t.osb.patch(paths.instance('inst-slow'), update);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: 'ServiceUnavailable',
      description: expect.stringMatching(/still running and cannot finish within the 0\.3 s .*repeat the request with accepts_incomplete=true/),
    });
    const repeat = await t.osb.patch(paths.instance('inst-slow', { accepts_incomplete: true }), update);
    expect(repeat.status).toBe(202);
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-slow', { operation: repeat.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
    expect(await instanceRecord(t, 'inst-slow')).toMatchObject({ parameters: { size: 5 } });
  });

  it('a 4xx from the broker leaves the stored plan and parameters unchanged', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-u');
    const before = await t.store.getInstance('inst-u');
    t.broker.failOn('update', errors.unprocessable('The organization has no quota left for plan "large".'));
    const res = await t.osb.patch(paths.instance('inst-u'), { service_id: SERVICE_ID, plan_id: PLAN_LARGE, parameters: { size: 7 } });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: 'UnprocessableEntity', description: 'The organization has no quota left for plan "large".' });
    expect(t.broker.callsOf('update')).toEqual(['update:inst-u']);
    const after = await t.store.getInstance('inst-u');
    expect(after!.record).toEqual(before!.record);
    expect(after!.record).toMatchObject({ planId: PLAN_SMALL, parameters: { size: 3, name: 'orders' } });
  });
});

describe('DELETE /v2/service_instances/:instance_id (deprovision)', () => {
  it('200 {}: the broker deletes and the store forgets the instance', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-d');
    const res = await t.osb.delete(paths.instance('inst-d', deleteQuery()));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect(t.broker.callsOf('deprovision')).toEqual(['deprovision:inst-d']);
    expect(t.broker.received.deprovision[0]!.request).toMatchObject({ instance: { instanceId: 'inst-d', data: { made: 'inst-d' } }, acceptsIncomplete: false });
    expect(t.broker.received.deprovision[0]!.request.haltedCheckpoint).toBeUndefined();
    expect(t.broker.recorder.instances.has('inst-d')).toBe(false);
    expect(await instanceRecord(t, 'inst-d')).toMatchObject({ state: 'deleted' });
    expect((await t.osb.get(paths.instance('inst-d'))).status).toBe(404);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['service_id', { plan_id: PLAN_SMALL }, /service_id query parameter is required/],
    ['plan_id', { service_id: SERVICE_ID }, /plan_id query parameter is required/],
  ])('400: without %s', async (_field, query, description) => {
    const t = startBroker();
    await provisioned(t, 'inst-d');
    const res = await t.osb.delete(paths.instance('inst-d', query));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'BadRequest', description: expect.stringMatching(description) });
    expect(t.broker.callsOf('deprovision')).toEqual([]);
    expect(await instanceRecord(t, 'inst-d')).toMatchObject({ state: 'provisioned' });
  });

  it('202: an async deprovision answers with an operation, a repeat gets the same one', async () => {
    const t = startBroker();
    t.broker.asyncKinds.add('deprovision');
    t.broker.asyncSteps = 1_000;
    await provisioned(t, 'inst-d');
    const path = paths.instance('inst-d', deleteQuery(PLAN_SMALL, { accepts_incomplete: true }));
    const first = await t.osb.delete(path);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ operation: expect.stringMatching(/^\S+$/) });
    const repeat = await t.osb.delete(path);
    expect(repeat.status).toBe(202);
    expect(repeat.body).toEqual({ operation: first.body.operation });
    expect(t.broker.received.deprovision.filter((r) => r.step === 1)).toHaveLength(1);

    t.broker.asyncSteps = 0;
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-d', { operation: first.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
    expect(await instanceRecord(t, 'inst-d')).toMatchObject({ state: 'deleted' });
  });

  it('422: refused while the instance has bindings', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-d');
    await bound(t, 'inst-d', 'bind-1');
    const res = await t.osb.delete(paths.instance('inst-d', deleteQuery()));
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: 'UnprocessableEntity', description: expect.stringMatching(/still has 1 binding\(s\); unbind them/) });
    expect(t.broker.callsOf('deprovision')).toEqual([]);
    expect(await instanceRecord(t, 'inst-d')).toMatchObject({ state: 'provisioned' });
  });

  it('410 {}: the broker finds the instance already gone (errors.gone())', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-d');
    t.broker.failOn('deprovision', errors.gone());
    const res = await t.osb.delete(paths.instance('inst-d', deleteQuery()));
    expect(res.status).toBe(410);
    expect(res.body).toEqual({});
    expect(await instanceRecord(t, 'inst-d')).toMatchObject({ state: 'deleted' });
  });
});

describe('GET /v2/service_instances/:instance_id (fetch instance)', () => {
  it('200 with service_id, plan_id, parameters, maintenance_info and dashboard_url', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-g', { maintenance_info: { version: '1.0.0' } });
    const res = await t.osb.get(paths.instance('inst-g', { service_id: SERVICE_ID, plan_id: PLAN_SMALL }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      service_id: SERVICE_ID,
      plan_id: PLAN_SMALL,
      parameters: { size: 3, name: 'orders' },
      maintenance_info: { version: '1.0.0' },
      dashboard_url: 'https://dash.example/inst-g',
    });
  });

  it('404: an instance still being provisioned', async () => {
    const t = startBroker();
    t.broker.asyncSteps = 1_000;
    const res = await t.osb.put(paths.instance('inst-p', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    expect(res.status).toBe(202);
    const fetched = await t.osb.get(paths.instance('inst-p'));
    expect(fetched.status).toBe(404);
    expect(fetched.body).toEqual({ error: 'NotFound', description: expect.stringMatching(/still being provisioned/) });
  });

  it('422 ConcurrencyError: the instance is being updated', async () => {
    const t = startBroker();
    t.broker.asyncKinds.add('update');
    t.broker.asyncSteps = 1_000;
    await provisioned(t, 'inst-u');
    const update = await t.osb.patch(paths.instance('inst-u', { accepts_incomplete: true }), { service_id: SERVICE_ID, parameters: { size: 4 } });
    expect(update.status).toBe(202);
    const fetched = await t.osb.get(paths.instance('inst-u'));
    expect(fetched.status).toBe(422);
    expect(fetched.body).toEqual({ error: 'ConcurrencyError', description: expect.stringMatching(/being updated/) });
  });

  it('412: X-Broker-API-Version 2.13 predates fetching instances', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-g');
    const res = await new Osb(t.app.handler, CREDENTIALS, '2.13').get(paths.instance('inst-g'));
    expect(res.status).toBe(412);
    expect(res.body).toEqual({ error: 'PreconditionFailed', description: expect.stringMatching(/2\.14 or later.*2\.13/) });
  });
});

describe('GET /v2/service_instances/:instance_id/last_operation', () => {
  it('in progress with an integer Retry-After header, then succeeded', async () => {
    const t = startBroker();
    t.broker.asyncSteps = 1_000;
    const res = await t.osb.put(paths.instance('inst-a', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    const path = paths.instanceLastOperation('inst-a', { service_id: SERVICE_ID, plan_id: PLAN_ASYNC, operation: res.body.operation });
    const running = await t.osb.get(path);
    expect(running.status).toBe(200);
    expect(running.body).toEqual({ state: 'in progress', description: expect.stringMatching(/^step \d+$/) });
    expect(running.headers['retry-after']).toMatch(/^[1-9]\d*$/);

    t.broker.asyncSteps = 0;
    const done = await pollLastOperation(t.osb, path);
    expect(done.body).toEqual({ state: 'succeeded' });
    expect(done.headers['retry-after']).toBeUndefined();
  });

  it('failed, with the description the broker gave, when a provision fails', async () => {
    const t = startBroker();
    t.broker.failOn('provision', new OsbError(500, 'the storage pool is full'), 2);
    const res = await t.osb.put(paths.instance('inst-a', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-a', { operation: res.body.operation }));
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ state: 'failed', description: 'the storage pool is full' });
    expect(await instanceRecord(t, 'inst-a')).toMatchObject({ state: 'failed' });
  });

  it('failed with instance_usable and update_repeatable when a failing update set them', async () => {
    const t = startBroker();
    t.broker.asyncKinds.add('update');
    await provisioned(t, 'inst-u');
    t.broker.failOn('update', new OsbError(500, 'the resize failed half way', { instanceUsable: true, updateRepeatable: false }), 2);
    const res = await t.osb.patch(paths.instance('inst-u', { accepts_incomplete: true }), { service_id: SERVICE_ID, plan_id: PLAN_LARGE });
    expect(res.status).toBe(202);
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-u', { operation: res.body.operation }));
    expect(done.body).toEqual({ state: 'failed', description: 'the resize failed half way', instance_usable: true, update_repeatable: false });
    expect(await instanceRecord(t, 'inst-u')).toMatchObject({ state: 'provisioned', planId: PLAN_SMALL });
  });

  it('a 503 from an async step is retried with the same checkpoint rather than failed', async () => {
    const t = startBroker();
    t.broker.failOn('provision', errors.unavailable('The database server is restarting.'), 2);
    const res = await t.osb.put(paths.instance('inst-a', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-a', { operation: res.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
    // Step 2 threw, ran again as step 3 with the same checkpoint, and the work carried on.
    expect(t.broker.received.provision.map((r) => [r.step, r.checkpoint])).toEqual([[1, undefined], [2, 1], [3, 1], [4, 2]]);
  });

  it('an operation still running after the plan\'s maximum_polling_duration reads as failed', async () => {
    const catalog = testCatalog();
    const plans = (catalog.services as Array<{ plans: Array<Record<string, unknown>> }>)[0]!.plans;
    plans.find((p) => p.id === PLAN_ASYNC)!.maximum_polling_duration = 1;
    const t = startBroker({ catalog });
    t.broker.asyncSteps = 1_000_000;
    const res = await t.osb.put(paths.instance('inst-a', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-a', { operation: res.body.operation }));
    expect(done.body).toEqual({ state: 'failed', description: 'The operation did not finish within the maximum polling duration.' });
    expect(await instanceRecord(t, 'inst-a')).toMatchObject({ state: 'failed' });
    const steps = t.broker.callsOf('provision').length;
    await quietPeriod(100);
    expect(t.broker.callsOf('provision')).toHaveLength(steps);
  });

  it('400: an operation id the instance never had', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-l');
    const res = await t.osb.get(paths.instanceLastOperation('inst-l', { operation: 'provision-made-up' }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'BadRequest', description: expect.stringMatching(/"provision-made-up" is not an operation of the instance inst-l/) });
  });

  it('old operation ids still answer after a later operation', async () => {
    const t = startBroker();
    t.broker.asyncKinds.add('update');
    t.broker.failOn('update', new OsbError(500, 'first resize failed'), 2);
    const provision = await t.osb.put(paths.instance('inst-h', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    const provisionOp = provision.body.operation as string;
    await pollLastOperation(t.osb, paths.instanceLastOperation('inst-h', { operation: provisionOp }));
    const failedUpdate = await t.osb.patch(paths.instance('inst-h', { accepts_incomplete: true }), { service_id: SERVICE_ID, parameters: { a: 1 } });
    await pollLastOperation(t.osb, paths.instanceLastOperation('inst-h', { operation: failedUpdate.body.operation }));
    const update = await t.osb.patch(paths.instance('inst-h', { accepts_incomplete: true }), { service_id: SERVICE_ID, parameters: { a: 2 } });
    await pollLastOperation(t.osb, paths.instanceLastOperation('inst-h', { operation: update.body.operation }));

    const answers = await Promise.all(
      [provisionOp, failedUpdate.body.operation, update.body.operation].map((operation) =>
        t.osb.get(paths.instanceLastOperation('inst-h', { operation })).then((r) => [r.status, r.body]),
      ),
    );
    expect(answers).toEqual([
      [200, { state: 'succeeded' }],
      [200, { state: 'failed', description: 'first resize failed' }],
      [200, { state: 'succeeded' }],
    ]);
    const latest = await t.osb.get(paths.instanceLastOperation('inst-h'));
    expect(latest.body).toEqual({ state: 'succeeded' });
  });
});

describe('PUT /v2/service_instances/:instance_id/service_bindings/:binding_id (bind)', () => {
  it('201 with credentials; the broker gets the instance, parameters and bind_resource', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    const res = await t.osb.put(paths.binding('inst-b', 'bind-1'), bindBody());
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ credentials: { username: 'u-bind-1', password: 'secret-pass' } });
    expect(t.broker.callsOf('bind')).toEqual(['bind:bind-1']);
    expect(t.broker.received.bind[0]!.request).toMatchObject({
      bindingId: 'bind-1',
      instance: { instanceId: 'inst-b', data: { made: 'inst-b' } },
      parameters: { read_only: true },
      bindResource: { app_guid: 'app-guid-1' },
      appGuid: 'app-guid-1',
      acceptsIncomplete: false,
    });
    expect((await t.store.getBinding('inst-b', 'bind-1'))!.record).toMatchObject({
      state: 'bound',
      result: { credentials: { username: 'u-bind-1' } },
      data: { user: 'bind-1' },
    });
  });

  it('200: an identical repeat answers with the same credentials without calling the broker', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    const first = await bound(t, 'inst-b', 'bind-1');
    const repeat = await t.osb.put(paths.binding('inst-b', 'bind-1'), bindBody());
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first);
    expect(t.broker.callsOf('bind')).toHaveLength(1);
  });

  it('409: the same binding id with different parameters', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    await bound(t, 'inst-b', 'bind-1');
    const before = await t.store.getBinding('inst-b', 'bind-1');
    const res = await t.osb.put(paths.binding('inst-b', 'bind-1'), bindBody({ parameters: { read_only: false } }));
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: 'Conflict', description: 'Service binding bind-1 already exists with different attributes.' });
    expect(t.broker.callsOf('bind')).toHaveLength(1);
    expect(await t.store.getBinding('inst-b', 'bind-1')).toEqual(before);
  });

  it('409 for different parameters on a binding id whose creation failed; the same request may retry', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    t.broker.failOn('bind', new Error('backend down'));
    expect((await t.osb.put(paths.binding('inst-b', 'bind-f'), bindBody())).status).toBe(500);
    const failed = await t.store.getBinding('inst-b', 'bind-f');
    expect(failed!.record).toMatchObject({ state: 'failed' });

    const other = await t.osb.put(paths.binding('inst-b', 'bind-f'), bindBody({ parameters: { read_only: false } }));
    expect(other.status).toBe(409);
    expect(other.body).toEqual({ error: 'Conflict', description: expect.stringMatching(/bind-f exists with different attributes \(its creation failed\)/) });
    expect(t.broker.callsOf('bind')).toHaveLength(1);
    expect(await t.store.getBinding('inst-b', 'bind-f')).toEqual(failed);

    const retry = await t.osb.put(paths.binding('inst-b', 'bind-f'), bindBody());
    expect(retry.status).toBe(201);
    expect(t.broker.callsOf('bind')).toHaveLength(2);
  });

  it('the instance a bind is given is frozen, whatever the store: a broker cannot change stored state through it', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-fz');
    t.broker.bind = async (request) => {
      (request.instance.parameters as Record<string, unknown>).size = 99;
      return { credentials: { username: 'u', password: 'p' }, data: { user: 'u' } };
    };
    const res = await t.osb.put(paths.binding('inst-fz', 'bind-fz'), bindBody());
    expect(res.status).toBe(500);
    expect((await instanceRecord(t, 'inst-fz'))!.parameters).toEqual({ size: 3, name: 'orders' });
  });

  it('422: the plan is not bindable', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-n', { plan_id: PLAN_NOBIND, parameters: {} });
    const res = await t.osb.put(paths.binding('inst-n', 'bind-1'), bindBody({ plan_id: PLAN_NOBIND, parameters: {} }));
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: 'UnprocessableEntity', description: 'Plan "nobind" of service "test-db" is not bindable.' });
    expect(t.broker.callsOf('bind')).toEqual([]);
    expect(await t.store.getBinding('inst-n', 'bind-1')).toBeUndefined();
  });

  it('422 RequiresApp: the broker requires an app and the request names none', async () => {
    const broker = new ConformanceBroker();
    broker.requiresApp = (plan) => plan.id === PLAN_SMALL;
    const t = startBroker({ broker });
    await provisioned(t, 'inst-b');
    const res = await t.osb.put(paths.binding('inst-b', 'key-1'), bindBody({ bind_resource: undefined }));
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: 'RequiresApp', description: expect.stringMatching(/binding an application/) });
    expect(t.broker.callsOf('bind')).toEqual([]);
    expect(await t.store.getBinding('inst-b', 'key-1')).toBeUndefined();

    const withApp = await t.osb.put(paths.binding('inst-b', 'bind-1'), bindBody({ bind_resource: undefined, app_guid: 'app-guid-2' }));
    expect(withApp.status).toBe(201);
    expect(t.broker.received.bind[0]!.request.appGuid).toBe('app-guid-2');
  });

  it('400: parameters failing the binding schema name the failing path', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    const res = await t.osb.put(paths.binding('inst-b', 'bind-1'), bindBody({ parameters: { read_only: 'yes' } }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'BadRequest', description: expect.stringMatching(/parameters are invalid: \/read_only must be boolean/) });
    expect(t.broker.callsOf('bind')).toEqual([]);
    expect(await t.store.getBinding('inst-b', 'bind-1')).toBeUndefined();
  });

  it('404: an unknown instance', async () => {
    const t = startBroker();
    const res = await t.osb.put(paths.binding('inst-nope', 'bind-1'), bindBody());
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'NotFound', description: expect.stringMatching(/inst-nope does not exist; it cannot be bound/) });
    expect(t.broker.calls).toEqual([]);
    expect(t.store.writes).toBe(0);
  });

  describe('rotation (predecessor_binding_id)', () => {
    it('201: a live predecessor on a binding_rotatable plan; parameters carry over', async () => {
      const t = startBroker();
      await provisioned(t, 'inst-b');
      await bound(t, 'inst-b', 'bind-1');
      const res = await t.osb.put(paths.binding('inst-b', 'bind-2'), {
        service_id: SERVICE_ID,
        plan_id: PLAN_SMALL,
        predecessor_binding_id: 'bind-1',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ credentials: { username: 'u-bind-2', password: 'secret-pass' } });
      const request = t.broker.received.bind[1]!.request;
      expect(request.predecessor).toMatchObject({ bindingId: 'bind-1', result: { credentials: { username: 'u-bind-1' } } });
      expect(request.parameters).toEqual({ read_only: true });
      expect(request.bindResource).toEqual({ app_guid: 'app-guid-1' });
      // Both bindings stay valid side by side.
      expect((await t.osb.get(paths.binding('inst-b', 'bind-1'))).status).toBe(200);
      expect((await t.osb.get(paths.binding('inst-b', 'bind-2'))).status).toBe(200);
    });

    it('422: the plan is not binding_rotatable', async () => {
      const t = startBroker();
      await provisioned(t, 'inst-l', { plan_id: PLAN_LARGE, parameters: {} });
      await bound(t, 'inst-l', 'bind-1', { plan_id: PLAN_LARGE, parameters: {} });
      const res = await t.osb.put(paths.binding('inst-l', 'bind-2'), bindBody({ plan_id: PLAN_LARGE, parameters: {}, predecessor_binding_id: 'bind-1' }));
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ error: 'UnprocessableEntity', description: expect.stringMatching(/"large" does not allow binding rotation/) });
      expect(t.broker.callsOf('bind')).toHaveLength(1);
      expect(await t.store.getBinding('inst-l', 'bind-2')).toBeUndefined();
    });

    it('422: the predecessor has expired', async () => {
      const t = startBroker();
      await provisioned(t, 'inst-b');
      await bound(t, 'inst-b', 'bind-1');
      const stored = (await t.store.getBinding('inst-b', 'bind-1'))!;
      const expired = { ...stored.record, result: { ...stored.record.result, metadata: { expires_at: '2020-01-01T00:00:00.000Z' } } };
      expect(await t.store.putBinding(expired, stored.version)).toBe(stored.version + 1);
      const res = await t.osb.put(paths.binding('inst-b', 'bind-2'), bindBody({ predecessor_binding_id: 'bind-1' }));
      expect(res.status).toBe(422);
      expect(res.body.description).toBe('predecessor_binding_id bind-1 does not name a live binding of service instance inst-b.');
      expect(t.broker.callsOf('bind')).toEqual(['bind:bind-1']);
    });

    it.each([
      ['does not exist', 'inst-b', 'bind-missing'],
      ['belongs to another instance', 'inst-b', 'bind-other'],
    ])('422: the predecessor %s', async (_what, instanceId, predecessor) => {
      const t = startBroker();
      await provisioned(t, 'inst-b');
      await provisioned(t, 'inst-x');
      await bound(t, 'inst-x', 'bind-other');
      const res = await t.osb.put(paths.binding(instanceId, 'bind-2'), bindBody({ predecessor_binding_id: predecessor }));
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        error: 'UnprocessableEntity',
        description: `predecessor_binding_id ${predecessor} does not name a live binding of service instance ${instanceId}.`,
      });
      expect(t.broker.callsOf('bind')).toEqual(['bind:bind-other']);
      expect(await t.store.getBinding(instanceId, 'bind-2')).toBeUndefined();
    });
  });

  it('202: an async bind carries no credentials; binding last_operation follows it; fetch shows them', async () => {
    const t = startBroker();
    t.broker.asyncKinds.add('bind');
    await provisioned(t, 'inst-b');
    const res = await t.osb.put(paths.binding('inst-b', 'bind-a', { accepts_incomplete: true }), bindBody());
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ operation: expect.stringMatching(/^\S+$/) });
    const done = await pollLastOperation(t.osb, paths.bindingLastOperation('inst-b', 'bind-a', { operation: res.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
    expect(t.broker.callsOf('bind')).toEqual(['bind:bind-a', 'bind:bind-a', 'bind:bind-a']);
    const fetched = await t.osb.get(paths.binding('inst-b', 'bind-a'));
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ credentials: { username: 'u-bind-a', password: 'secret-pass' } });
  });
});

describe('DELETE /v2/service_instances/:instance_id/service_bindings/:binding_id (unbind)', () => {
  it('200 {}: the broker revokes and the store drops the credentials', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    await bound(t, 'inst-b', 'bind-1');
    const res = await t.osb.delete(paths.binding('inst-b', 'bind-1', deleteQuery()));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect(t.broker.callsOf('unbind')).toEqual(['unbind:bind-1']);
    expect(t.broker.received.unbind[0]!.request.binding).toMatchObject({ bindingId: 'bind-1', data: { user: 'bind-1' } });
    const record = (await t.store.getBinding('inst-b', 'bind-1'))!.record;
    expect(record.state).toBe('deleted');
    expect(record.result).toBeUndefined();
    expect((await t.osb.get(paths.binding('inst-b', 'bind-1'))).status).toBe(404);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['service_id', { plan_id: PLAN_SMALL }, /service_id query parameter is required/],
    ['plan_id', { service_id: SERVICE_ID }, /plan_id query parameter is required/],
  ])('400: without %s', async (_field, query, description) => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    await bound(t, 'inst-b', 'bind-1');
    const res = await t.osb.delete(paths.binding('inst-b', 'bind-1', query));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'BadRequest', description: expect.stringMatching(description) });
    expect(t.broker.callsOf('unbind')).toEqual([]);
    expect((await t.store.getBinding('inst-b', 'bind-1'))!.record.state).toBe('bound');
  });

  it('202: an async unbind answers with an operation that binding last_operation follows', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    await bound(t, 'inst-b', 'bind-1');
    t.broker.asyncKinds.add('unbind');
    const path = paths.binding('inst-b', 'bind-1', deleteQuery(PLAN_SMALL, { accepts_incomplete: true }));
    const res = await t.osb.delete(path);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ operation: expect.stringMatching(/^\S+$/) });
    const done = await pollLastOperation(t.osb, paths.bindingLastOperation('inst-b', 'bind-1', { operation: res.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });
    expect(t.broker.callsOf('unbind')).toHaveLength(3);
    expect((await t.store.getBinding('inst-b', 'bind-1'))!.record.state).toBe('deleted');
  });
});

describe('GET /v2/service_instances/:instance_id/service_bindings/:binding_id (fetch binding, binding last_operation)', () => {
  it('200: the binding with credentials and parameters', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    await bound(t, 'inst-b', 'bind-1');
    const res = await t.osb.get(paths.binding('inst-b', 'bind-1', { service_id: SERVICE_ID, plan_id: PLAN_SMALL }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ credentials: { username: 'u-bind-1', password: 'secret-pass' }, parameters: { read_only: true } });
  });

  it('404: a binding still being created', async () => {
    const t = startBroker();
    t.broker.asyncKinds.add('bind');
    t.broker.asyncSteps = 1_000;
    await provisioned(t, 'inst-b');
    expect((await t.osb.put(paths.binding('inst-b', 'bind-a', { accepts_incomplete: true }), bindBody())).status).toBe(202);
    const res = await t.osb.get(paths.binding('inst-b', 'bind-a'));
    expect(res.status).toBe(404);
    expect(res.body.description).toMatch(/still being created/);
  });

  it('binding last_operation: 200 for a binding, 404 for an unknown one', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    await bound(t, 'inst-b', 'bind-1');
    const known = await t.osb.get(paths.bindingLastOperation('inst-b', 'bind-1', { service_id: SERVICE_ID, plan_id: PLAN_SMALL }));
    expect(known.status).toBe(200);
    expect(known.body).toEqual({ state: 'succeeded' });
    const unknown = await t.osb.get(paths.bindingLastOperation('inst-b', 'bind-nope'));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'NotFound', description: expect.stringMatching(/binding bind-nope of instance inst-b does not exist/) });
  });
});

describe('headers', () => {
  it('a version header accepted once is still held to each endpoint\'s minimum', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-h');
    const older = new Osb(t.app.handler, CREDENTIALS, '2.13');
    expect((await older.get(paths.catalog)).status).toBe(200);
    expect((await older.get(paths.instanceLastOperation('inst-h'))).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const fetched = await older.get(paths.instance('inst-h'));
      expect(fetched.status).toBe(412);
      expect(fetched.body).toEqual({ error: 'PreconditionFailed', description: expect.stringMatching(/2\.14 or later.*2\.13/) });
    }
    expect((await new Osb(t.app.handler, CREDENTIALS, ' 2.14 ').get(paths.instance('inst-h'))).status).toBe(200);
    expect((await new Osb(t.app.handler, CREDENTIALS, '2.17').get(paths.instance('inst-h'))).status).toBe(200);
  });

  it.each<[string, string | null, RegExp]>([
    ['missing', null, /missing/],
    ['garbage', 'latest', /"latest" is not supported/],
    ['3.0', '3.0', /"3\.0" is not supported/],
    ['2.17.1', '2.17.1', /"2\.17\.1" is not supported/],
  ])('412: X-Broker-API-Version %s', async (_what, version, description) => {
    const t = startBroker();
    const res = await new Osb(t.app.handler, CREDENTIALS, version).put(paths.instance('inst-v'), provisionBody());
    expect(res.status).toBe(412);
    expect(res.body).toEqual({ error: 'PreconditionFailed', description: expect.stringMatching(description) });
    expect(t.broker.calls).toEqual([]);
    expect(t.store.writes).toBe(0);
  });

  it('accepts older 2.x versions on endpoints that existed then', async () => {
    const t = startBroker();
    const res = await new Osb(t.app.handler, CREDENTIALS, '2.12').put(paths.instance('inst-v'), provisionBody());
    expect(res.status).toBe(201);
    expect(t.broker.received.provision[0]!.request.caller.apiVersion).toBe('2.12');
  });

  describe('X-Broker-API-Request-Identity is echoed on every answer', () => {
    const id = 'e26cea9c-4f8a-4a5b-9a36-0c0d8b6e4b71';
    it.each<[string, (t: TestBroker) => Promise<import('supertest').Response>, number]>([
      ['200', (t) => t.osb.get(paths.catalog).set('X-Broker-API-Request-Identity', id), 200],
      ['201', (t) => t.osb.put(paths.instance('inst-i'), provisionBody()).set('X-Broker-API-Request-Identity', id), 201],
      ['401', (t) => new Osb(t.app.handler, null).get(paths.catalog).set('X-Broker-API-Request-Identity', id), 401],
      ['412', (t) => new Osb(t.app.handler, CREDENTIALS, '1.0').get(paths.catalog).set('X-Broker-API-Request-Identity', id), 412],
      ['400', (t) => t.osb.put(paths.instance('inst-i'), {}).set('X-Broker-API-Request-Identity', id), 400],
      ['404 (no such instance)', (t) => t.osb.get(paths.instance('inst-nope')).set('X-Broker-API-Request-Identity', id), 404],
      ['404 (no such endpoint)', (t) => t.osb.get('/v2/nothing-here').set('X-Broker-API-Request-Identity', id), 404],
      ['410', (t) => t.osb.delete(paths.instance('inst-nope', deleteQuery())).set('X-Broker-API-Request-Identity', id), 410],
      [
        '500',
        (t) => {
          t.broker.failOn('provision', new Error('boom'));
          return t.osb.put(paths.instance('inst-i'), provisionBody()).set('X-Broker-API-Request-Identity', id);
        },
        500,
      ],
    ])('%s', async (_status, send, status) => {
      const t = startBroker();
      const res = await send(t);
      expect(res.status).toBe(status);
      expect(res.headers['x-broker-api-request-identity']).toBe(id);
    });
  });

  describe('X-Broker-API-Originating-Identity', () => {
    it('a cloudfoundry identity reaches the broker as caller.identity', async () => {
      const t = startBroker();
      const res = await t.osb
        .put(paths.instance('inst-o'), provisionBody())
        .set('X-Broker-API-Originating-Identity', formatOriginatingIdentity('cloudfoundry', { user_id: 'user-guid-1' }))
        .set('X-Broker-API-Request-Identity', 'req-1');
      expect(res.status).toBe(201);
      expect(t.broker.received.provision[0]!.request.caller).toEqual({
        apiVersion: API_VERSION,
        requestId: 'req-1',
        identity: { platform: 'cloudfoundry', userId: 'user-guid-1', raw: { user_id: 'user-guid-1' } },
      });
    });

    it('a kubernetes identity reaches the broker with username, uid and groups', async () => {
      const t = startBroker();
      await provisioned(t, 'inst-o');
      const value = { username: 'duke', uid: 'c2dde242-5ce4-11e7-988c-000c2946f14f', groups: ['admin', 'dev'] };
      const res = await t.osb
        .put(paths.binding('inst-o', 'bind-1'), bindBody())
        .set('X-Broker-API-Originating-Identity', formatOriginatingIdentity('kubernetes', value));
      expect(res.status).toBe(201);
      expect(t.broker.received.bind[0]!.request.caller.identity).toEqual({
        platform: 'kubernetes',
        username: 'duke',
        uid: 'c2dde242-5ce4-11e7-988c-000c2946f14f',
        groups: ['admin', 'dev'],
        extra: {},
        raw: value,
      });
    });

    it('an async operation keeps the identity for its later steps', async () => {
      const t = startBroker();
      const res = await t.osb
        .put(paths.instance('inst-a', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }))
        .set('X-Broker-API-Originating-Identity', formatOriginatingIdentity('cloudfoundry', { user_id: 'user-guid-1' }));
      await pollLastOperation(t.osb, paths.instanceLastOperation('inst-a', { operation: res.body.operation }));
      const identities = t.broker.received.provision.map((r) => r.request.caller.identity);
      expect(identities).toHaveLength(3);
      for (const identity of identities) expect(identity).toMatchObject({ platform: 'cloudfoundry', userId: 'user-guid-1' });
    });

    it.each<[string, string, RegExp]>([
      ['bad base64', 'cloudfoundry !!not*base64!!', /not valid base64/],
      ['not JSON', `cloudfoundry ${Buffer.from('user_id=1').toString('base64')}`, /does not decode to JSON/],
      ['a JSON array', `cloudfoundry ${Buffer.from('["u"]').toString('base64')}`, /must decode to a JSON object/],
      ['no platform', Buffer.from('{"user_id":"u"}').toString('base64'), /must be "<platform> <base64-encoded JSON object>"/],
      ['cloudfoundry without user_id', formatOriginatingIdentity('cloudfoundry', { user_name: 'duke' }), /cloudfoundry identity must carry a non-empty "user_id"/],
      ['kubernetes without username', formatOriginatingIdentity('kubernetes', { uid: 'u' }), /kubernetes identity must carry a non-empty "username"/],
    ])('400: a malformed identity (%s)', async (_what, header, description) => {
      const t = startBroker();
      const res = await t.osb.put(paths.instance('inst-o'), provisionBody()).set('X-Broker-API-Originating-Identity', header);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'BadRequest', description: expect.stringMatching(/X-Broker-API-Originating-Identity is malformed/) });
      expect(res.body.description).toMatch(description);
      expect(t.broker.calls).toEqual([]);
      expect(t.store.writes).toBe(0);
    });
  });
});

describe('authentication', () => {
  it.each<[string, { username: string; password: string } | null]>([
    ['no credentials', null],
    ['a wrong password', { username: CREDENTIALS.username, password: 'wrong' }],
    ['an unknown user', { username: 'intruder', password: CREDENTIALS.password }],
  ])('401 with WWW-Authenticate for %s; nothing happens', async (_what, credentials) => {
    const t = startBroker();
    const res = await new Osb(t.app.handler, credentials).put(paths.instance('inst-a'), provisionBody());
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(res.body).toEqual({ error: 'Unauthorized', description: expect.stringMatching(/credentials/) });
    expect(t.broker.calls).toEqual([]);
    expect(t.store.writes).toBe(0);
  });

  it('401 for a malformed Authorization header and for another scheme', async () => {
    const t = startBroker();
    const garbled = await new Osb(t.app.handler, null).get(paths.catalog).set('Authorization', 'Basic %%%');
    expect(garbled.status).toBe(401);
    const bearer = await new Osb(t.app.handler, null).get(paths.catalog).set('Authorization', 'Bearer abc');
    expect(bearer.status).toBe(401);
  });

  it('several credential pairs all work', async () => {
    const pairs = [CREDENTIALS, { username: 'second-platform', password: 'another-secret' }];
    const t = startBroker({ auth: pairs });
    for (const pair of pairs) expect((await new Osb(t.app.handler, pair).get(paths.catalog)).status).toBe(200);
    const crossed = { username: pairs[0]!.username, password: pairs[1]!.password };
    expect((await new Osb(t.app.handler, crossed).get(paths.catalog)).status).toBe(401);
  });

  it('a custom auth hook decides', async () => {
    const seen: Array<string | undefined> = [];
    const t = startBroker({
      auth: async (req) => {
        const header = req.headers.authorization;
        seen.push(header);
        return header === 'Bearer platform-token';
      },
    });
    const allowed = await new Osb(t.app.handler, null).get(paths.catalog).set('Authorization', 'Bearer platform-token');
    expect(allowed.status).toBe(200);
    const refused = await new Osb(t.app.handler, CREDENTIALS).get(paths.catalog);
    expect(refused.status).toBe(401);
    expect(seen).toEqual(['Bearer platform-token', expect.stringMatching(/^Basic /)]);
  });
});

/** A store that keeps the records it is given as they are (a third-party store may). */
class ByReferenceStore implements StateStore {
  private readonly instances = new Map<string, Versioned<InstanceRecord>>();
  private readonly bindings = new Map<string, Versioned<BindingRecord>>();
  async init(): Promise<void> {}
  async close(): Promise<void> {}
  async sync(): Promise<void> {}
  async getInstance(id: string) {
    return this.instances.get(id);
  }
  async putInstance(record: InstanceRecord, expected: number | null) {
    const current = this.instances.get(record.instanceId);
    if ((current?.version ?? null) !== expected) return undefined;
    const version = (expected ?? 0) + 1;
    this.instances.set(record.instanceId, { record, version });
    return version;
  }
  async getBinding(instanceId: string, bindingId: string) {
    return this.bindings.get(`${instanceId}/${bindingId}`);
  }
  async putBinding(record: BindingRecord, expected: number | null) {
    const key = `${record.instanceId}/${record.bindingId}`;
    const current = this.bindings.get(key);
    if ((current?.version ?? null) !== expected) return undefined;
    const version = (expected ?? 0) + 1;
    this.bindings.set(key, { record, version });
    return version;
  }
  async listBindings(instanceId: string) {
    return [...this.bindings.values()].filter((entry) => entry.record.instanceId === instanceId);
  }
  async listPending() {
    return [];
  }
  async purgeDeleted() {
    return 0;
  }
}

describe('a plan that left the catalog while instances of it live on', () => {
  // The spec lets a broker remove plans; the platform still deletes and polls the instances
  // it made of them, naming the old plan_id.
  function catalogWithout(planId: string): Record<string, unknown> {
    const catalog = testCatalog() as { services: Array<{ plans: Array<{ id: string }> }> };
    for (const service of catalog.services) service.plans = service.plans.filter((plan) => plan.id !== planId);
    return catalog;
  }

  it('its bindings and the instance can still be fetched, polled, unbound and deleted; the broker is told the plan is gone', async () => {
    const store = new MemoryStore();
    const before = startBroker({ store });
    await provisioned(before, 'inst-old', { plan_id: PLAN_LARGE, parameters: {} });
    await bound(before, 'inst-old', 'bind-old', { plan_id: PLAN_LARGE });

    const t = startBroker({ store, catalog: catalogWithout(PLAN_LARGE) });
    const hints = { service_id: SERVICE_ID, plan_id: PLAN_LARGE };
    expect((await t.osb.get(paths.instanceLastOperation('inst-old', hints))).body).toEqual({ state: 'succeeded' });
    expect((await t.osb.get(paths.instance('inst-old', hints))).body).toMatchObject({ service_id: SERVICE_ID, plan_id: PLAN_LARGE });
    expect((await t.osb.get(paths.binding('inst-old', 'bind-old', hints))).status).toBe(200);
    expect((await t.osb.get(paths.bindingLastOperation('inst-old', 'bind-old', hints))).body).toEqual({ state: 'succeeded' });

    // Binding to it or updating it needs the plan, so those stay refused.
    const bind = await t.osb.put(paths.binding('inst-old', 'bind-new'), bindBody({ plan_id: PLAN_LARGE }));
    expect(bind.status).toBe(400);
    expect(bind.body).toEqual({ error: 'BadRequest', description: `plan_id "${PLAN_LARGE}" is not in the catalog.` });

    expect((await t.osb.delete(paths.binding('inst-old', 'bind-old', deleteQuery(PLAN_LARGE)))).status).toBe(200);
    expect(t.broker.received.unbind[0]!.request.instance).toMatchObject({ instanceId: 'inst-old', plan: { id: PLAN_LARGE }, planRemoved: true });
    expect((await t.osb.delete(paths.instance('inst-old', deleteQuery(PLAN_LARGE)))).status).toBe(200);
    expect(t.broker.received.deprovision[0]!.request.instance).toMatchObject({ instanceId: 'inst-old', plan: { id: PLAN_LARGE }, planRemoved: true });
    expect(await instanceRecord(t, 'inst-old')).toMatchObject({ state: 'deleted' });
  });

  it('an id the catalog does not have is still refused unless it is the stored instance\'s', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-cur');
    const wrongPlan = await t.osb.delete(paths.instance('inst-cur', deleteQuery('plan-gone')));
    expect(wrongPlan.status).toBe(400);
    expect(wrongPlan.body).toEqual({ error: 'BadRequest', description: 'plan_id "plan-gone" is not in the catalog.' });
    const missing = await t.osb.delete(paths.instance('inst-none', deleteQuery('plan-gone')));
    expect(missing.status).toBe(400);
    const hint = await t.osb.get(paths.instanceLastOperation('inst-cur', { plan_id: 'plan-gone' }));
    expect(hint.status).toBe(400);
    expect(t.broker.calls).toEqual(['provision:inst-cur:1']);
    expect(await instanceRecord(t, 'inst-cur')).toMatchObject({ state: 'provisioned' });
  });
});

describe('error bodies a broker shapes', () => {
  // The spec: instance_usable only on failed updates and deprovisions, update_repeatable only
  // on failed updates, and a description is non-empty when present.
  const flagged = (): OsbError => errors.unprocessable('The quota is used up.', { instanceUsable: false, updateRepeatable: false });

  it('a provision or bind refusal drops instance_usable and update_repeatable', async () => {
    const t = startBroker();
    t.broker.failOn('provision', flagged());
    const refused = await t.osb.put(paths.instance('inst-flags'), provisionBody());
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({ error: 'UnprocessableEntity', description: 'The quota is used up.' });

    await provisioned(t, 'inst-flags-2');
    t.broker.failOn('bind', flagged());
    const bindRefused = await t.osb.put(paths.binding('inst-flags-2', 'bind-flags'), bindBody());
    expect(bindRefused.status).toBe(422);
    expect(bindRefused.body).toEqual({ error: 'UnprocessableEntity', description: 'The quota is used up.' });
  });

  it('an update refusal keeps both flags, a deprovision refusal keeps instance_usable only', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-flags-3');
    t.broker.failOn('update', flagged());
    const update = await t.osb.patch(paths.instance('inst-flags-3'), { service_id: SERVICE_ID, parameters: { size: 4 } });
    expect(update.status).toBe(422);
    expect(update.body).toEqual({ error: 'UnprocessableEntity', description: 'The quota is used up.', instance_usable: false, update_repeatable: false });

    t.broker.failOn('deprovision', flagged());
    const remove = await t.osb.delete(paths.instance('inst-flags-3', deleteQuery()));
    expect(remove.status).toBe(422);
    expect(remove.body).toEqual({ error: 'UnprocessableEntity', description: 'The quota is used up.', instance_usable: false });
  });

  it('an empty description is left out instead of sent empty', async () => {
    const t = startBroker();
    t.broker.failOn('provision', new OsbError(400, '', { code: 'BadRequest' }));
    const res = await t.osb.put(paths.instance('inst-empty'), provisionBody());
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'BadRequest' });
  });
});

describe('unexpected errors', () => {
  it('an answer that cannot be serialised becomes a 500 after the change is durable, not an unhandled rejection', async () => {
    // Not through startBroker: its counting wrapper has no sync(), and this is about the
    // answer that waits for one.
    const broker = new ConformanceBroker();
    // A JavaScript broker can return what JSON cannot hold; this store does not serialise it.
    broker.provision = async () => ({ metadata: { labels: { count: 1n } } }) as never;
    const app = createBroker({ catalog: testCatalog(), broker, store: new ByReferenceStore(), auth: CREDENTIALS, logger: pino({ level: 'silent' }) });
    const osb = new Osb(app.handler);
    try {
      const res = await osb.put(paths.instance('inst-bigint'), provisionBody());
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: 'InternalError', description: 'An internal error occurred in the service broker.' });
      // The server still answers.
      expect((await osb.get(paths.catalog)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('500 with a generic description: no message, no stack; the error is logged with the request identity', async () => {
    const logs = captureLogs();
    const t = startBroker({ logger: logs.logger });
    t.broker.failOn('provision', new Error('db password=hunter2 at line 3'));
    const res = await t.osb.put(paths.instance('inst-e'), provisionBody()).set('X-Broker-API-Request-Identity', 'req-500');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'InternalError', description: 'An internal error occurred in the service broker.' });
    expect(res.text).not.toMatch(/hunter2|line 3|stack|at .*\.ts/);

    const failed = logs.lines.find((line) => line.msg === 'request failed');
    expect(failed).toMatchObject({ level: 50, requestId: 'req-500', status: 500, endpoint: 'provision', instanceId: 'inst-e' });
    expect(failed!.err).toMatchObject({ message: 'db password=hunter2 at line 3', stack: expect.stringMatching(/Error: db password/) });
  });

  it('a failed async step reads as failed with a generic description', async () => {
    const t = startBroker();
    t.broker.failOn('provision', new Error('db password=hunter2 at line 3'), 2);
    const res = await t.osb.put(paths.instance('inst-e', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-e', { operation: res.body.operation }));
    expect(done.body).toEqual({ state: 'failed', description: 'The operation failed because of an internal error in the service broker.' });
  });
});

describe('halting a create that is still running', () => {
  it('a deprovision during an async provision halts it, then deletes with the halted checkpoint', async () => {
    const t = startBroker();
    t.broker.asyncSteps = 1_000_000;
    const provision = await t.osb.put(paths.instance('inst-h', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    expect(provision.status).toBe(202);
    await waitFor(() => t.broker.callsOf('provision').length >= 2, 'a second provision step');

    const deprovision = await t.osb.delete(paths.instance('inst-h', deleteQuery(PLAN_ASYNC, { accepts_incomplete: true })));
    expect(deprovision.status).toBe(202);
    expect(deprovision.body.operation).not.toBe(provision.body.operation);
    const done = await pollLastOperation(t.osb, paths.instanceLastOperation('inst-h', { operation: deprovision.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });

    const provisionSteps = t.broker.callsOf('provision').length;
    const halted = await t.osb.get(paths.instanceLastOperation('inst-h', { operation: provision.body.operation }));
    expect(halted.body).toEqual({ state: 'failed', description: expect.stringMatching(/^Halted: a deprovision request arrived/) });
    expect(t.broker.received.deprovision).toHaveLength(1);
    const { haltedCheckpoint } = t.broker.received.deprovision[0]!.request;
    // The checkpoint of the last provision step that was recorded.
    expect(haltedCheckpoint).toBeGreaterThanOrEqual(1);
    expect(haltedCheckpoint).toBeLessThanOrEqual(provisionSteps);
    expect(await instanceRecord(t, 'inst-h')).toMatchObject({ state: 'deleted' });

    await quietPeriod(100);
    expect(t.broker.callsOf('provision')).toHaveLength(provisionSteps);
  });

  it('a synchronous deprovision during an async provision halts it and answers 200', async () => {
    const t = startBroker();
    t.broker.asyncSteps = 1_000_000;
    const provision = await t.osb.put(paths.instance('inst-h', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    await waitFor(() => t.broker.callsOf('provision').length >= 2, 'a second provision step');
    const deprovision = await t.osb.delete(paths.instance('inst-h', deleteQuery(PLAN_ASYNC)));
    expect(deprovision.status).toBe(200);
    expect(deprovision.body).toEqual({});
    const provisionSteps = t.broker.callsOf('provision').length;
    const halted = await t.osb.get(paths.instanceLastOperation('inst-h', { operation: provision.body.operation }));
    expect(halted.body).toMatchObject({ state: 'failed' });
    expect(t.broker.received.deprovision[0]!.request.haltedCheckpoint).toEqual(expect.any(Number));
    await quietPeriod(100);
    expect(t.broker.callsOf('provision')).toHaveLength(provisionSteps);
  });

  it('a deprovision the broker refuses after the halt keeps the instance, and a retry deletes it', async () => {
    const t = startBroker();
    t.broker.asyncSteps = 1_000_000;
    await t.osb.put(paths.instance('inst-h', { accepts_incomplete: true }), provisionBody({ plan_id: PLAN_ASYNC }));
    await waitFor(() => t.broker.callsOf('provision').length >= 2, 'a second provision step');
    t.broker.failOn('deprovision', errors.unprocessable('The nightly backup is still running.'));
    const refused = await t.osb.delete(paths.instance('inst-h', deleteQuery(PLAN_ASYNC)));
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({ error: 'UnprocessableEntity', description: 'The nightly backup is still running.' });
    // What the halted provision made still exists at the broker, so the instance must not read as gone.
    expect(await instanceRecord(t, 'inst-h')).toMatchObject({ state: 'failed', operation: { kind: 'deprovision', state: 'failed' } });

    const retry = await t.osb.delete(paths.instance('inst-h', deleteQuery(PLAN_ASYNC)));
    expect(retry.status).toBe(200);
    expect(t.broker.callsOf('deprovision')).toEqual(['deprovision:inst-h', 'deprovision:inst-h']);
    expect(await instanceRecord(t, 'inst-h')).toMatchObject({ state: 'deleted' });
  });

  it('an unbind the broker refuses after the halt keeps the binding, and a retry deletes it', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    t.broker.asyncKinds.add('bind');
    t.broker.asyncSteps = 1_000_000;
    await t.osb.put(paths.binding('inst-b', 'bind-h', { accepts_incomplete: true }), bindBody());
    await waitFor(() => t.broker.callsOf('bind').length >= 2, 'a second bind step');
    t.broker.failOn('unbind', errors.unprocessable('The credentials are in use.'));
    const refused = await t.osb.delete(paths.binding('inst-b', 'bind-h', deleteQuery()));
    expect(refused.status).toBe(422);
    expect((await t.store.getBinding('inst-b', 'bind-h'))!.record).toMatchObject({ state: 'failed', operation: { kind: 'unbind', state: 'failed' } });

    expect((await t.osb.delete(paths.binding('inst-b', 'bind-h', deleteQuery()))).status).toBe(200);
    expect(t.broker.callsOf('unbind')).toEqual(['unbind:bind-h', 'unbind:bind-h']);
  });

  it('an unbind during an async bind halts it, then unbinds with the halted checkpoint', async () => {
    const t = startBroker();
    await provisioned(t, 'inst-b');
    t.broker.asyncKinds.add('bind');
    t.broker.asyncSteps = 1_000_000;
    const bind = await t.osb.put(paths.binding('inst-b', 'bind-h', { accepts_incomplete: true }), bindBody());
    expect(bind.status).toBe(202);
    await waitFor(() => t.broker.callsOf('bind').length >= 2, 'a second bind step');

    const unbind = await t.osb.delete(paths.binding('inst-b', 'bind-h', deleteQuery(PLAN_SMALL, { accepts_incomplete: true })));
    expect(unbind.status).toBe(202);
    const done = await pollLastOperation(t.osb, paths.bindingLastOperation('inst-b', 'bind-h', { operation: unbind.body.operation }));
    expect(done.body).toEqual({ state: 'succeeded' });

    const bindSteps = t.broker.callsOf('bind').length;
    const halted = await t.osb.get(paths.bindingLastOperation('inst-b', 'bind-h', { operation: bind.body.operation }));
    expect(halted.body).toEqual({ state: 'failed', description: expect.stringMatching(/^Halted: a unbind request arrived/) });
    expect(t.broker.received.unbind).toHaveLength(1);
    const { haltedCheckpoint } = t.broker.received.unbind[0]!.request;
    expect(haltedCheckpoint).toBeGreaterThanOrEqual(1);
    expect(haltedCheckpoint).toBeLessThanOrEqual(bindSteps);
    expect((await t.store.getBinding('inst-b', 'bind-h'))!.record.state).toBe('deleted');

    await quietPeriod(100);
    expect(t.broker.callsOf('bind')).toHaveLength(bindSteps);
  });
});

describe('concurrency', () => {
  it('20 concurrent identical provisions: the broker provisions exactly once', async () => {
    const t = startBroker();
    const release = t.broker.hold('provision');
    let answered = 0;
    const requests = Array.from({ length: 20 }, (_, i) =>
      t.osb
        .put(paths.instance('inst-c', { accepts_incomplete: i % 2 === 0 }), provisionBody())
        .then((res) => {
          answered++;
          return res;
        }),
    );
    // All but the one running the provision answer while it is held.
    await waitFor(() => answered >= 19, '19 answers');
    release();
    const answers = await Promise.all(requests);

    expect(t.broker.received.provision).toHaveLength(1);
    const created = answers.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    for (const res of answers) {
      if (res.status === 201 || res.status === 200) expect(res.body).toEqual({ dashboard_url: 'https://dash.example/inst-c' });
      else if (res.status === 202) expect(res.body).toEqual({ operation: expect.any(String) });
      else expect([res.status, res.body.error]).toEqual([422, 'ConcurrencyError']);
    }
    const operations = new Set(answers.filter((r) => r.status === 202).map((r) => r.body.operation));
    expect(operations.size).toBeLessThanOrEqual(1);
    expect(await instanceRecord(t, 'inst-c')).toMatchObject({ state: 'provisioned' });
  });

  it('20 concurrent identical provisions without holding the broker: still exactly once', async () => {
    const t = startBroker();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => t.osb.put(paths.instance('inst-c'), provisionBody())),
    );
    expect(t.broker.callsOf('provision')).toEqual(['provision:inst-c:1']);
    for (const res of answers) {
      expect([200, 201, 422]).toContain(res.status);
      if (res.status === 422) expect(res.body.error).toBe('ConcurrencyError');
    }
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
  });
});
