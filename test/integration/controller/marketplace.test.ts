import { DatabaseBroker, databaseCatalog } from './support/brokers';
import { Harness, errorDetail } from './support/harness';
import { startTestBroker, type TestBroker } from './support/test-broker';

jest.setTimeout(30_000);

type Body = Record<string, unknown>;

describe('marketplace and service access', () => {
  let harness: Harness;
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
  });
  afterAll(async () => {
    await broker.stop();
  });
  beforeEach(async () => {
    harness = await Harness.start();
    await harness.registerBroker('db', broker.url);
  });
  afterEach(async () => {
    await harness.close();
  });

  test('offerings filter by names', async () => {
    const res = await harness.get('/v3/service_offerings?names=testcache');
    expect(res.status).toBe(200);
    expect((res.body.resources as Body[]).map((o) => o.name)).toEqual(['testcache']);
    expect((await harness.get('/v3/service_offerings?names=testdb,testcache')).body.pagination.total_results).toBe(2);
    expect((await harness.get('/v3/service_offerings?names=nope')).body.resources).toEqual([]);
  });

  test('plans filter by service_offering_names and names', async () => {
    const res = await harness.get('/v3/service_plans?service_offering_names=testdb&names=large,nobind');
    expect((res.body.resources as Body[]).map((p) => p.name)).toEqual(['large', 'nobind']);
    const cache = await harness.get('/v3/service_plans?service_offering_names=testcache');
    expect((cache.body.resources as Body[]).map((p) => p.name)).toEqual(['async']);
  });

  test('an unknown filter is a 400 naming it', async () => {
    const res = await harness.get('/v3/service_plans?flavour=mint');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].title).toBe('CF-BadQueryParameter');
    expect(errorDetail(res)).toContain("'flavour'");
  });

  test('plans start admin-only; a disabled plan cannot be used; enabling access makes it usable', async () => {
    const plan = await harness.planGuid('testdb', 'small');
    expect((await harness.get(`/v3/service_plans/${plan}/visibility`)).body).toEqual({ type: 'admin' });

    const refused = await harness.createInstance('db1', plan);
    expect(refused.status).toBe(422);
    expect(errorDetail(refused.response)).toContain("Service plan 'small' is not enabled");
    expect((await harness.get('/v3/service_instances')).body.resources).toEqual([]);
    expect(broker.received('PUT', '/v2/service_instances/')).toHaveLength(0);

    const enabled = await harness.post(`/v3/service_plans/${plan}/visibility`, { type: 'public' });
    expect(enabled.status).toBe(200);
    expect(enabled.body).toEqual({ type: 'public' });
    expect((await harness.get(`/v3/service_plans/${plan}`)).body.visibility_type).toBe('public');
    expect((await harness.createInstance('db1', plan)).job.state).toBe('COMPLETE');

    await harness.post(`/v3/service_plans/${plan}/visibility`, { type: 'admin' });
    expect((await harness.createInstance('db2', plan)).status).toBe(422);
  });

  test('visibility types other than public and admin are refused', async () => {
    const plan = await harness.planGuid('testdb', 'small');
    const res = await harness.post(`/v3/service_plans/${plan}/visibility`, { type: 'organization' });
    expect(res.status).toBe(422);
    expect(errorDetail(res)).toContain("'type'");
    expect((await harness.get(`/v3/service_plans/${plan}/visibility`)).body).toEqual({ type: 'admin' });
  });

  test('autoEnableAccess makes new plans public', async () => {
    const open = await Harness.start({ autoEnableAccess: true });
    try {
      await open.registerBroker('db', broker.url);
      const plans = (await open.get('/v3/service_plans')).body.resources as Body[];
      expect(plans.every((p) => p.visibility_type === 'public')).toBe(true);
    } finally {
      await open.close();
    }
  });
});
