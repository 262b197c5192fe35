import { DatabaseBroker, VolumeBroker, databaseCatalog, volumeCatalog, DB_SERVICE, PLAN_SMALL } from './support/brokers';
import { Harness, errorDetail } from './support/harness';
import { BROKER_CREDENTIALS, deadUrl, startCatalogOnlyBroker, startTestBroker, type TestBroker } from './support/test-broker';

jest.setTimeout(30_000);

type Body = Record<string, unknown>;

describe('service broker registration', () => {
  let harness: Harness;
  let broker: TestBroker;

  beforeEach(async () => {
    harness = await Harness.start();
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
  });

  afterEach(async () => {
    await harness.close();
    await broker.stop();
  });

  test('registers a broker: 202 + job, catalog fetched with OSB headers, offerings and plans keyed by broker ids, plans admin-only', async () => {
    const res = await harness.post('/v3/service_brokers', { name: 'db', url: broker.url, authentication: { type: 'basic', credentials: BROKER_CREDENTIALS } });
    expect(res.status).toBe(202);
    expect(res.headers.location).toMatch(/\/v3\/jobs\/[0-9a-f-]{36}$/);
    const job = await harness.waitForJob(res.headers.location);
    expect(job).toMatchObject({ state: 'COMPLETE', operation: 'service_broker.catalog.synchronize', errors: [] });

    const catalogCall = broker.received('GET', '/v2/catalog')[0]!;
    expect(catalogCall.headers['x-broker-api-version']).toBe('2.17');
    expect(catalogCall.headers.authorization).toBe(`Basic ${Buffer.from(`${BROKER_CREDENTIALS.username}:${BROKER_CREDENTIALS.password}`).toString('base64')}`);
    expect(catalogCall.headers['x-broker-api-request-identity']).toMatch(/^[0-9a-f-]{36}$/);
    // A catalog fetch is not a user action: no originating identity.
    expect(catalogCall.headers['x-broker-api-originating-identity']).toBeUndefined();

    const brokers = (await harness.get('/v3/service_brokers')).body;
    expect(brokers.pagination.total_results).toBe(1);
    const listed = brokers.resources[0] as Body;
    expect(listed).toMatchObject({ name: 'db', url: broker.url });
    expect(typeof listed.guid).toBe('string');
    expect(listed.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(JSON.stringify(brokers)).not.toContain(BROKER_CREDENTIALS.password);

    const offerings = (await harness.get('/v3/service_offerings')).body.resources as Body[];
    expect(offerings.map((o) => o.name).sort()).toEqual(['testcache', 'testdb']);
    const testdb = offerings.find((o) => o.name === 'testdb')!;
    expect(testdb).toMatchObject({
      available: true,
      tags: ['database', 'sql'],
      requires: [],
      broker_catalog: { id: DB_SERVICE, features: { bindable: true, instances_retrievable: true, bindings_retrievable: true, plan_updateable: false } },
      relationships: { service_broker: { data: { guid: listed.guid } } },
    });
    const plans = (await harness.get('/v3/service_plans?service_offering_names=testdb')).body.resources as Body[];
    expect(plans.map((p) => p.name)).toEqual(['small', 'large', 'fixed', 'async', 'nobind']);
    expect(plans.every((p) => p.visibility_type === 'admin')).toBe(true);
    expect(plans[0]).toMatchObject({ broker_catalog: { id: PLAN_SMALL }, maintenance_info: { version: '1.0.0' } });
  });

  test('a catalog with problems fails the job listing every one of them, and leaves no broker behind', async () => {
    const bad = await startCatalogOnlyBroker({
      services: [
        { id: 'x1', name: 'first', description: 'ok', bindable: 'yes', plans: [{ id: 'p1', name: 'one', description: 'd' }, { id: 'p1', name: 'one', description: 'd' }] },
        { id: '', name: 'second', description: 'no id', bindable: true, requires: ['teleport'], plans: [] },
      ],
    });
    try {
      const res = await harness.post('/v3/service_brokers', { name: 'bad', url: bad.url, authentication: { type: 'basic', credentials: BROKER_CREDENTIALS } });
      const job = await harness.waitForJob(res.headers.location);
      expect(job.state).toBe('FAILED');
      expect(job.errors).toHaveLength(1);
      expect(job.errors[0]!.title).toBe('CF-ServiceBrokerCatalogInvalid');
      const detail = job.errors[0]!.detail;
      expect(detail).toMatch(/^Service broker catalog is invalid: /);
      expect(detail).toContain('services[0] (first).bindable must be a boolean');
      expect(detail).toContain('plans[1] (one).id "p1" is already used');
      expect(detail).toContain('plans[1] (one).name "one" is not unique');
      expect(detail).toContain('services[1] (second).id must be a non-empty string');
      expect(detail).toContain('requires contains unsupported value "teleport"');
      expect(detail).toContain('services[1] (second).plans must be a non-empty array');
      expect((await harness.get('/v3/service_brokers')).body.resources).toEqual([]);
      expect((await harness.get('/v3/service_offerings')).body.resources).toEqual([]);
    } finally {
      await bad.stop();
    }
  });

  test('a broker that cannot be reached fails the job with a clear error', async () => {
    const res = await harness.post('/v3/service_brokers', { name: 'gone', url: await deadUrl(), authentication: { type: 'basic', credentials: BROKER_CREDENTIALS } });
    const job = await harness.waitForJob(res.headers.location);
    expect(job.state).toBe('FAILED');
    expect(job.errors[0]).toMatchObject({ title: 'CF-ServiceBrokerApiUnreachable' });
    expect(job.errors[0]!.detail).toMatch(/could not be reached for the catalog request: ECONNREFUSED/);
  });

  test('wrong credentials: the broker rejects the catalog request', async () => {
    const res = await harness.post('/v3/service_brokers', { name: 'db', url: broker.url, authentication: { type: 'basic', credentials: { username: 'x', password: 'wrong' } } });
    const job = await harness.waitForJob(res.headers.location);
    expect(job.state).toBe('FAILED');
    expect(job.errors[0]!.detail).toMatch(/rejected the catalog request \(status 401\)/);
  });

  test('names are unique', async () => {
    await harness.registerBroker('db', broker.url);
    const again = await harness.post('/v3/service_brokers', { name: 'db', url: broker.url, authentication: { type: 'basic', credentials: BROKER_CREDENTIALS } });
    expect(again.status).toBe(422);
    expect(errorDetail(again)).toBe('Name must be unique');
  });

  test('the same offering ids cannot be registered by two brokers', async () => {
    await harness.registerBroker('db', broker.url);
    const res = await harness.post('/v3/service_brokers', { name: 'db2', url: broker.url, authentication: { type: 'basic', credentials: BROKER_CREDENTIALS } });
    const job = await harness.waitForJob(res.headers.location);
    expect(job.state).toBe('FAILED');
    expect(job.errors[0]!.detail).toContain(`Service ID '${DB_SERVICE}' is already in use by service broker 'db'`);
    expect(job.errors[0]!.detail).toContain(`Plan ID '${PLAN_SMALL}' is already in use by service broker 'db'`);
  });

  test('PATCH re-fetches the catalog: new plans appear, unused removed plans go, visibility is kept', async () => {
    const { guid } = await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    const changed = databaseCatalog();
    const offering = (changed.services as Body[])[0]!;
    offering.plans = [
      ...(offering.plans as Body[]).filter((p) => p.name !== 'nobind'),
      { id: 'plan-xl-1', name: 'xl', description: 'extra large' },
    ];
    const replacement = await startTestBroker({ catalog: changed, broker: new DatabaseBroker() });
    try {
      const res = await harness.patch(`/v3/service_brokers/${guid}`, { url: replacement.url, authentication: { type: 'basic', credentials: BROKER_CREDENTIALS } });
      expect(res.status).toBe(202);
      const job = await harness.waitForJob(res.headers.location);
      expect(job).toMatchObject({ state: 'COMPLETE', operation: 'service_broker.update' });
      expect(replacement.received('GET', '/v2/catalog')).toHaveLength(1);
      const plans = (await harness.get('/v3/service_plans?service_offering_names=testdb')).body.resources as Body[];
      expect(plans.map((p) => [p.name, p.visibility_type])).toEqual([
        ['small', 'public'], ['large', 'public'], ['fixed', 'public'], ['async', 'public'], ['xl', 'admin'],
      ]);
      expect((await harness.get(`/v3/service_brokers/${guid}`)).body.url).toBe(replacement.url);
    } finally {
      await replacement.stop();
    }
  });

  test('a failed PATCH changes nothing', async () => {
    const { guid } = await harness.registerBroker('db', broker.url);
    const res = await harness.patch(`/v3/service_brokers/${guid}`, { name: 'renamed', url: await deadUrl() });
    const job = await harness.waitForJob(res.headers.location);
    expect(job.state).toBe('FAILED');
    expect((await harness.get(`/v3/service_brokers/${guid}`)).body).toMatchObject({ name: 'db', url: broker.url });
    expect((await harness.get('/v3/service_plans')).body.pagination.total_results).toBe(6);
  });

  test('DELETE is refused while instances exist, and removes broker, offerings and plans otherwise', async () => {
    const { guid } = await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
    expect(created.job.state).toBe('COMPLETE');
    const refused = await harness.delete(`/v3/service_brokers/${guid}`);
    expect(refused.status).toBe(422);
    expect(errorDetail(refused)).toBe('Can not remove brokers that have associated service instances: db1');

    await harness.waitForJob((await harness.delete(`/v3/service_instances/${created.guid}`)).headers.location);
    const res = await harness.delete(`/v3/service_brokers/${guid}`);
    expect(res.status).toBe(202);
    expect((await harness.waitForJob(res.headers.location)).state).toBe('COMPLETE');
    expect((await harness.get(`/v3/service_brokers/${guid}`)).status).toBe(404);
    expect((await harness.get('/v3/service_offerings')).body.resources).toEqual([]);
    expect((await harness.get('/v3/service_plans')).body.resources).toEqual([]);
  });
});

describe('volume services', () => {
  test('a catalog requiring volume_mount is refused while volume services are disabled', async () => {
    const harness = await Harness.start({ volumeServicesEnabled: false });
    const broker = await startTestBroker({ catalog: volumeCatalog(), broker: new VolumeBroker() });
    try {
      const res = await harness.post('/v3/service_brokers', { name: 'vol', url: broker.url, authentication: { type: 'basic', credentials: BROKER_CREDENTIALS } });
      const job = await harness.waitForJob(res.headers.location);
      expect(job.state).toBe('FAILED');
      expect(job.errors[0]).toEqual({
        code: 270019,
        title: 'CF-ServiceBrokerCatalogIncompatible',
        detail: 'Service broker catalog is incompatible: \nService testvolume is declared to be a volume mount service but support for volume mount services is disabled.',
      });
      expect((await harness.get('/v3/service_brokers')).body.resources).toEqual([]);
    } finally {
      await harness.close();
      await broker.stop();
    }
  });
});

describe('route services', () => {
  test('a catalog requiring route_forwarding is refused, saying osbkit has no route services rather than that they are disabled', async () => {
    const harness = await Harness.start();
    const catalog = { services: [{ id: 'svc-route-5d2a', name: 'ratelimit', description: 'a route service', bindable: true, requires: ['route_forwarding'], plans: [{ id: 'plan-route-0b1c', name: 'std', description: 'standard' }] }] };
    const broker = await startCatalogOnlyBroker(catalog);
    try {
      const res = await harness.post('/v3/service_brokers', { name: 'routes', url: broker.url, authentication: { type: 'basic', credentials: BROKER_CREDENTIALS } });
      const job = await harness.waitForJob(res.headers.location);
      expect(job.errors[0]).toEqual({
        code: 270019,
        title: 'CF-ServiceBrokerCatalogIncompatible',
        detail: 'Service broker catalog is incompatible: \nService ratelimit is declared to be a route service (requires route_forwarding), which osbkit does not support: it has no routes to bind one to.',
      });
      expect((await harness.get('/v3/service_brokers')).body.resources).toEqual([]);
    } finally {
      await harness.close();
      await broker.stop();
    }
  });
});
