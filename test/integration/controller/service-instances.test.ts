import { DatabaseBroker, databaseCatalog, DB_SERVICE, PLAN_ASYNC, PLAN_LARGE, PLAN_SMALL } from './support/brokers';
import { Harness, errorDetail } from './support/harness';
import { decodeIdentity, startTestBroker, type TestBroker } from './support/test-broker';

jest.setTimeout(30_000);

type Body = Record<string, unknown>;

describe('service instances', () => {
  let harness: Harness;
  let broker: TestBroker;
  let osb: DatabaseBroker;

  beforeEach(async () => {
    osb = new DatabaseBroker();
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: osb });
    harness = await Harness.start();
    await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    await harness.enableAccess('testcache');
  });

  afterEach(async () => {
    await harness.close();
    await broker.stop();
  });

  const provisionCalls = (guid: string) => broker.requests.filter((r) => r.method === 'PUT' && r.path === `/v2/service_instances/${guid}`);

  test('a synchronous create sends everything the spec and the CF profile ask for', async () => {
    const plan = await harness.planGuid('testdb', 'small');
    const created = await harness.createInstance('db1', plan, { parameters: { size: 3 }, tags: ['primary'] });
    expect(created.status).toBe(202);
    expect(created.job).toMatchObject({ state: 'COMPLETE', operation: 'service_instance.create' });

    const organization = ((await harness.get('/v3/organizations')).body.resources as Body[])[0]!;
    const space = ((await harness.get('/v3/spaces')).body.resources as Body[])[0]!;
    expect(organization.name).toBe('osbkit-org');
    expect(space.name).toBe('dev');

    const [call] = provisionCalls(created.guid);
    expect(call!.query).toEqual({ accepts_incomplete: 'true' });
    expect(call!.body).toEqual({
      service_id: DB_SERVICE,
      plan_id: PLAN_SMALL,
      organization_guid: organization.guid,
      space_guid: space.guid,
      context: {
        platform: 'cloudfoundry',
        organization_guid: organization.guid,
        organization_name: 'osbkit-org',
        space_guid: space.guid,
        space_name: 'dev',
        instance_name: 'db1',
      },
      parameters: { size: 3 },
      maintenance_info: { version: '1.0.0', description: 'first' },
    });
    expect(call!.headers['x-broker-api-version']).toBe('2.17');
    expect(call!.headers['x-broker-api-request-identity']).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeIdentity(call!.headers['x-broker-api-originating-identity'])).toEqual({ platform: 'cloudfoundry', value: { user_id: harness.userGuid } });
    expect(call!.headers['x-broker-api-request-identity']).not.toBe(broker.received('GET', '/v2/catalog')[0]!.headers['x-broker-api-request-identity']);

    const instance = await harness.instance(created.guid);
    expect(instance).toMatchObject({
      guid: created.guid,
      name: 'db1',
      type: 'managed',
      tags: ['primary'],
      dashboard_url: `https://dash.example/${created.guid}`,
      maintenance_info: { version: '1.0.0', description: 'first' },
      upgrade_available: false,
      last_operation: { type: 'create', state: 'succeeded', description: '' },
      relationships: { space: { data: { guid: space.guid } }, service_plan: { data: { guid: plan } } },
    });
    expect(instance.created_at).toMatch(/Z$/);
    expect((await harness.get('/v3/service_instances?names=db1')).body.pagination.total_results).toBe(1);
    expect((await harness.get('/v3/service_instances?names=other')).body.resources).toEqual([]);
  });

  test('the originating identity names the user the token belongs to', async () => {
    const developer = await harness.spaceDeveloper('dana', await harness.spaceGuid());
    const res = await developer.client.post('/v3/service_instances', {
      type: 'managed', name: 'db1', relationships: { space: { data: { guid: await harness.spaceGuid() } }, service_plan: { data: { guid: await harness.planGuid('testdb', 'small') } } },
    });
    expect(res.status).toBe(202);
    expect((await harness.waitForJob(res.headers.location)).state).toBe('COMPLETE');
    const guid = String((res.body as { links: Record<string, { href: string }> }).links.service_instances!.href.split('/').pop());
    expect(decodeIdentity(provisionCalls(guid)[0]!.headers['x-broker-api-originating-identity'])!.value).toEqual({ user_id: developer.guid });
  });

  test('instance names are unique in a space', async () => {
    const plan = await harness.planGuid('testdb', 'small');
    await harness.createInstance('db1', plan);
    const again = await harness.createInstance('db1', plan);
    expect(again.status).toBe(422);
    expect(errorDetail(again.response)).toBe('The service instance name is taken: db1.');
  });

  test('an asynchronous create is polled until it succeeds, showing progress on the instance', async () => {
    const plan = await harness.planGuid('testdb', 'async');
    const res = await harness.post('/v3/service_instances', {
      type: 'managed', name: 'slow', relationships: { space: { data: { guid: await harness.spaceGuid() } }, service_plan: { data: { guid: plan } } },
    });
    const guid = String((res.body as { links: Record<string, { href: string }> }).links.service_instances!.href.split('/').pop());
    const during = await harness.eventually(async () => {
      const body = await harness.instance(guid);
      const op = body.last_operation as Body;
      return op.state === 'in progress' && op.description !== '' ? op : undefined;
    }, 'progress on the instance');
    expect(during).toMatchObject({ type: 'create', state: 'in progress', description: 'creating the database (step 1)' });
    const job = await harness.waitForJob(res.headers.location);
    expect(job.state).toBe('COMPLETE');
    expect((await harness.instance(guid)).last_operation).toMatchObject({ type: 'create', state: 'succeeded' });
    const polls = broker.received('GET', `/v2/service_instances/${guid}/last_operation`);
    expect(polls.length).toBeGreaterThan(0);
    expect(polls[0]!.query).toMatchObject({ service_id: DB_SERVICE, plan_id: PLAN_ASYNC });
    expect(polls[0]!.query.operation).toEqual(expect.any(String));
    expect(polls[0]!.headers['x-broker-api-request-identity']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('another operation while one is in progress is a 409', async () => {
    const plan = await harness.planGuid('testdb', 'async');
    const res = await harness.post('/v3/service_instances', {
      type: 'managed', name: 'slow', relationships: { space: { data: { guid: await harness.spaceGuid() } }, service_plan: { data: { guid: plan } } },
    });
    const guid = String((res.body as { links: Record<string, { href: string }> }).links.service_instances!.href.split('/').pop());
    const refused = await harness.delete(`/v3/service_instances/${guid}`);
    expect(refused.status).toBe(409);
    expect(refused.body.errors[0].title).toBe('CF-AsyncServiceInstanceOperationInProgress');
    await harness.waitForJob(res.headers.location);
  });

  test('GET parameters asks the broker when instances are retrievable, and refuses otherwise', async () => {
    const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'), { parameters: { size: 3 } });
    const res = await harness.get(`/v3/service_instances/${created.guid}/parameters`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ size: 3 });
    const fetch = broker.received('GET', `/v2/service_instances/${created.guid}`).find((r) => !r.path.endsWith('last_operation'))!;
    expect(decodeIdentity(fetch.headers['x-broker-api-originating-identity'])!.value).toEqual({ user_id: harness.userGuid });

    const cache = await harness.createInstance('cache1', await harness.planGuid('testcache', 'async'));
    const refused = await harness.get(`/v3/service_instances/${cache.guid}/parameters`);
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].detail).toBe('This service does not support fetching service instance parameters.');
  });

  describe('update', () => {
    test('a plan change sends plan_id, previous_values and the context; the instance moves to the new plan', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      const large = await harness.planGuid('testdb', 'large');
      const res = await harness.patch(`/v3/service_instances/${created.guid}`, { relationships: { service_plan: { data: { guid: large } } }, parameters: { size: 5 } });
      expect(res.status).toBe(202);
      const job = await harness.waitForJob(res.headers.location);
      expect(job).toMatchObject({ state: 'COMPLETE', operation: 'service_instance.update' });
      const call = broker.received('PATCH', `/v2/service_instances/${created.guid}`)[0]!;
      const space = ((await harness.get('/v3/spaces')).body.resources as Body[])[0]!;
      expect(call.body).toMatchObject({
        service_id: DB_SERVICE,
        plan_id: PLAN_LARGE,
        parameters: { size: 5 },
        context: { platform: 'cloudfoundry', instance_name: 'db1', space_guid: space.guid },
        previous_values: { plan_id: PLAN_SMALL, service_id: DB_SERVICE, space_id: space.guid, organization_id: expect.any(String), maintenance_info: { version: '1.0.0' } },
      });
      expect(decodeIdentity(call.headers['x-broker-api-originating-identity'])!.value).toEqual({ user_id: harness.userGuid });
      const instance = await harness.instance(created.guid);
      expect(instance).toMatchObject({ service_plan_name: 'large', last_operation: { type: 'update', state: 'succeeded' } });
    });

    test('parameters alone: no plan_id is sent', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      await harness.waitForJob((await harness.patch(`/v3/service_instances/${created.guid}`, { parameters: { size: 2 } })).headers.location);
      const body = broker.received('PATCH', `/v2/service_instances/${created.guid}`)[0]!.body as Body;
      expect(body).not.toHaveProperty('plan_id');
      expect(body.parameters).toEqual({ size: 2 });
    });

    test('a plan change is refused when the plan is not plan_updateable, and nothing reaches the broker', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'fixed'));
      const res = await harness.patch(`/v3/service_instances/${created.guid}`, { relationships: { service_plan: { data: { guid: await harness.planGuid('testdb', 'small') } } } });
      expect(res.status).toBe(422);
      expect(errorDetail(res)).toBe('The service does not support changing plans.');
      expect(broker.received('PATCH', '/v2/service_instances/')).toHaveLength(0);
      expect((await harness.instance(created.guid)).service_plan_name).toBe('fixed');
    });

    test('an asynchronous plan change is polled with the old plan id', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      const large = await harness.planGuid('testdb', 'large');
      const res = await harness.patch(`/v3/service_instances/${created.guid}`, { relationships: { service_plan: { data: { guid: large } } }, parameters: { async: true } });
      const job = await harness.waitForJob(res.headers.location);
      expect(job.state).toBe('COMPLETE');
      const polls = broker.received('GET', `/v2/service_instances/${created.guid}/last_operation`);
      expect(polls.length).toBeGreaterThan(0);
      for (const poll of polls) expect(poll.query.plan_id).toBe(PLAN_SMALL);
      expect((await harness.instance(created.guid)).service_plan_name).toBe('large');
    });

    test('a failed update with instance_usable false blocks bindings; update_repeatable false blocks the same update', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      const res = await harness.patch(`/v3/service_instances/${created.guid}`, { parameters: { fail: 'unusable' } });
      const job = await harness.waitForJob(res.headers.location);
      expect(job.state).toBe('FAILED');
      expect(job.errors[0]!.detail).toContain('The resize broke the database.');
      const instance = await harness.instance(created.guid);
      expect(instance).toMatchObject({ usable: false, last_operation: { type: 'update', state: 'failed' } });
      // Updates are never orphan-mitigated.
      expect(broker.received('DELETE', '/v2/service_instances/')).toHaveLength(0);

      const app = await harness.createApp('web');
      const bind = await harness.bind(app, created.guid);
      expect(bind.status).toBe(422);
      expect(errorDetail(bind.response)).toContain('unusable');

      const repeat = await harness.patch(`/v3/service_instances/${created.guid}`, { parameters: { fail: 'unusable' } });
      expect(repeat.status).toBe(422);
      expect(errorDetail(repeat)).toContain('cannot be repeated');
      const different = await harness.patch(`/v3/service_instances/${created.guid}`, { parameters: { size: 1 } });
      expect(different.status).toBe(202);
      expect((await harness.waitForJob(different.headers.location)).state).toBe('COMPLETE');
      expect((await harness.instance(created.guid)).usable).toBe(true);
    });

    test('a rename alone is applied at once without a broker call', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      const res = await harness.patch(`/v3/service_instances/${created.guid}`, { name: 'db-renamed', tags: ['x'] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'db-renamed', tags: ['x'] });
      expect(broker.received('PATCH', '/v2/service_instances/')).toHaveLength(0);
    });

    test('maintenance_info must match the plan', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      const res = await harness.patch(`/v3/service_instances/${created.guid}`, { maintenance_info: { version: '9.9.9' } });
      expect(res.status).toBe(422);
      expect(errorDetail(res)).toContain('maintenance_info.version requested is invalid');
    });
  });

  describe('delete', () => {
    test('refused while bindings exist', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      const app = await harness.createApp('web');
      expect((await harness.bind(app, created.guid)).job.state).toBe('COMPLETE');
      const res = await harness.delete(`/v3/service_instances/${created.guid}`);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ errors: [{ code: 10008, title: 'CF-UnprocessableEntity', detail: 'Cannot delete service instance. Service keys and bindings must first be deleted: bound to app(s) web.' }] });
      expect(broker.received('DELETE', '/v2/service_instances/')).toHaveLength(0);
    });

    test('deprovisions with service_id, plan_id and identity; the instance is gone', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      const res = await harness.delete(`/v3/service_instances/${created.guid}`);
      expect(res.status).toBe(202);
      expect((await harness.waitForJob(res.headers.location))).toMatchObject({ state: 'COMPLETE', operation: 'service_instance.delete' });
      const call = broker.received('DELETE', `/v2/service_instances/${created.guid}`)[0]!;
      expect(call.query).toEqual({ accepts_incomplete: 'true', service_id: DB_SERVICE, plan_id: PLAN_SMALL });
      expect(decodeIdentity(call.headers['x-broker-api-originating-identity'])!.value).toEqual({ user_id: harness.userGuid });
      expect((await harness.get(`/v3/service_instances/${created.guid}`)).status).toBe(404);
      expect(osb.deprovisions).toHaveLength(1);
    });

    test('410 Gone from the broker counts as success', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      broker.intercept = (req, res) => {
        if (req.method !== 'DELETE') return false;
        res.status(410).json({});
        return true;
      };
      const job = await harness.waitForJob((await harness.delete(`/v3/service_instances/${created.guid}`)).headers.location);
      expect(job.state).toBe('COMPLETE');
      expect((await harness.get(`/v3/service_instances/${created.guid}`)).status).toBe(404);
    });

    test('an asynchronous delete whose poll answers 410 counts as success', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'async'));
      broker.intercept = (req, res) => {
        if (req.method !== 'GET' || !req.path.endsWith('/last_operation') || broker.received('DELETE', '/v2/service_instances/').length === 0) return false;
        res.status(410).json({});
        return true;
      };
      const res = await harness.delete(`/v3/service_instances/${created.guid}`);
      expect((await harness.waitForJob(res.headers.location)).state).toBe('COMPLETE');
      expect(broker.received('DELETE', `/v2/service_instances/${created.guid}`)[0]!.query.accepts_incomplete).toBe('true');
      expect((await harness.get(`/v3/service_instances/${created.guid}`)).status).toBe(404);
    });

    test('a deprovision the broker refuses (4xx) leaves the instance, marked failed, without mitigation', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      broker.intercept = (req, res) => {
        if (req.method !== 'DELETE') return false;
        res.status(422).json({ error: 'ConcurrencyError', description: 'busy' });
        return true;
      };
      const job = await harness.waitForJob((await harness.delete(`/v3/service_instances/${created.guid}`)).headers.location);
      expect(job.state).toBe('FAILED');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(broker.received('DELETE', '/v2/service_instances/')).toHaveLength(1);
      expect((await harness.instance(created.guid)).last_operation).toMatchObject({ type: 'delete', state: 'failed' });
    });
  });
});

describe('accepts_incomplete off', () => {
  test('a create goes without the flag first and is repeated with it on 422 AsyncRequired', async () => {
    const broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
    const harness = await Harness.start({ acceptsIncomplete: false });
    try {
      await harness.registerBroker('db', broker.url);
      await harness.enableAccess('testdb');
      const created = await harness.createInstance('slow', await harness.planGuid('testdb', 'async'));
      expect(created.job.state).toBe('COMPLETE');
      const puts = broker.received('PUT', `/v2/service_instances/${created.guid}`);
      expect(puts.map((p) => p.query.accepts_incomplete)).toEqual([undefined, 'true']);
      expect((await harness.instance(created.guid)).last_operation).toMatchObject({ state: 'succeeded' });

      const sync = await harness.createInstance('quick', await harness.planGuid('testdb', 'small'));
      expect(broker.received('PUT', `/v2/service_instances/${sync.guid}`).map((p) => p.query.accepts_incomplete)).toEqual([undefined]);
    } finally {
      await harness.close();
      await broker.stop();
    }
  });
});
