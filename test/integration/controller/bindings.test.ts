import {
  CREDENTIAL_SECRET, DatabaseBroker, DB_SERVICE, MOUNT_SECRET, PLAN_ASYNC, PLAN_SMALL, PLAN_VOLUME, VOLUME_SERVICE, VolumeBroker,
  databaseCatalog, volumeCatalog,
} from './support/brokers';
import { join } from 'node:path';
import { Harness, errorDetail } from './support/harness';
import { decodeIdentity, startTestBroker, type TestBroker } from './support/test-broker';

jest.setTimeout(30_000);

type Body = Record<string, unknown>;

describe('service credential bindings', () => {
  let harness: Harness;
  let broker: TestBroker;
  let instanceGuid: string;
  let appGuid: string;

  beforeEach(async () => {
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
    harness = await Harness.start();
    await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    instanceGuid = (await harness.createInstance('db1', await harness.planGuid('testdb', 'small'), { tags: ['primary'] })).guid;
    appGuid = await harness.createApp('web');
  });

  afterEach(async () => {
    await harness.close();
    await broker.stop();
  });

  test('a bind sends the CF bind request and VCAP_SERVICES shows the binding exactly as Cloud Foundry does', async () => {
    const bound = await harness.bind(appGuid, instanceGuid, { name: 'mydb', parameters: { read_only: true } });
    expect(bound.status).toBe(202);
    expect(bound.job).toMatchObject({ state: 'COMPLETE', operation: 'service_bindings.create' });

    const organization = ((await harness.get('/v3/organizations')).body.resources as Body[])[0]!;
    const space = ((await harness.get('/v3/spaces')).body.resources as Body[])[0]!;
    const call = broker.received('PUT', `/v2/service_instances/${instanceGuid}/service_bindings/${bound.guid}`)[0]!;
    expect(call.query).toEqual({ accepts_incomplete: 'true' });
    expect(call.body).toEqual({
      service_id: DB_SERVICE,
      plan_id: PLAN_SMALL,
      app_guid: appGuid,
      bind_resource: { app_guid: appGuid, space_guid: space.guid },
      context: { platform: 'cloudfoundry', organization_guid: organization.guid, organization_name: 'osbkit-org', space_guid: space.guid, space_name: 'dev' },
      parameters: { read_only: true },
    });
    expect(decodeIdentity(call.headers['x-broker-api-originating-identity'])).toEqual({ platform: 'cloudfoundry', value: { user_id: harness.userGuid } });
    expect(call.headers['x-broker-api-request-identity']).toMatch(/^[0-9a-f-]{36}$/);

    const binding = (await harness.get(`/v3/service_credential_bindings/${bound.guid}`)).body as Body;
    expect(binding).toMatchObject({
      guid: bound.guid,
      name: 'mydb',
      type: 'app',
      last_operation: { type: 'create', state: 'succeeded' },
      relationships: { app: { data: { guid: appGuid } }, service_instance: { data: { guid: instanceGuid } } },
    });
    expect(JSON.stringify(binding)).not.toContain(CREDENTIAL_SECRET);

    const credentials = { username: `user-${bound.guid.slice(0, 8)}`, password: CREDENTIAL_SECRET, uri: `db://host/${instanceGuid}` };
    const details = await harness.get(`/v3/service_credential_bindings/${bound.guid}/details`);
    expect(details.body).toEqual({ credentials, syslog_drain_url: null, volume_mounts: [] });
    // No cache between the client and the controller may keep credentials.
    expect(details.headers['cache-control']).toBe('no-store');

    const envAnswer = await harness.get(`/v3/apps/${appGuid}/env`);
    expect(envAnswer.headers['cache-control']).toBe('no-store');
    expect((await harness.get(`/v3/apps/${appGuid}/environment_variables`)).headers['cache-control']).toBe('no-store');
    const env = envAnswer.body as Body;
    expect(env.system_env_json).toEqual({
      VCAP_SERVICES: {
        testdb: [
          {
            label: 'testdb',
            provider: null,
            plan: 'small',
            name: 'mydb',
            tags: ['database', 'sql', 'primary'],
            instance_guid: instanceGuid,
            instance_name: 'db1',
            binding_guid: bound.guid,
            binding_name: 'mydb',
            credentials,
            syslog_drain_url: null,
            volume_mounts: [],
          },
        ],
      },
    });
    expect((env.application_env_json as Body).VCAP_APPLICATION).toMatchObject({ application_id: appGuid, application_name: 'web', space_name: 'dev', organization_name: 'osbkit-org' });

    expect((await harness.get(`/v3/service_credential_bindings?app_guids=${appGuid}`)).body.pagination.total_results).toBe(1);
    expect((await harness.get(`/v3/service_credential_bindings?service_instance_guids=${instanceGuid}`)).body.pagination.total_results).toBe(1);
    expect((await harness.get('/v3/service_credential_bindings?app_guids=nope')).body.resources).toEqual([]);
  });

  test('an unnamed binding is named after its instance in VCAP_SERVICES, with binding_name null', async () => {
    const bound = await harness.bind(appGuid, instanceGuid);
    const [entry] = ((await harness.get(`/v3/apps/${appGuid}/env`)).body.system_env_json.VCAP_SERVICES.testdb) as Body[];
    expect(entry).toMatchObject({ name: 'db1', binding_name: null, binding_guid: bound.guid });
  });

  test('binding the same app twice is refused unless it rotates', async () => {
    await harness.bind(appGuid, instanceGuid);
    const again = await harness.bind(appGuid, instanceGuid);
    expect(again.status).toBe(422);
    expect(errorDetail(again.response)).toBe('The app is already bound to the service instance.');
  });

  test('a non-bindable plan is refused and nothing reaches the broker', async () => {
    const nobind = (await harness.createInstance('nb', await harness.planGuid('testdb', 'nobind'))).guid;
    const res = await harness.bind(appGuid, nobind);
    expect(res.status).toBe(422);
    expect(errorDetail(res.response)).toBe('Service plan does not allow bindings.');
    expect(broker.received('PUT', `/v2/service_instances/${nobind}/service_bindings/`)).toEqual([]);
    expect((await harness.get('/v3/service_credential_bindings')).body.resources).toEqual([]);
  });

  test('an async bind is polled, then fetched for its credentials', async () => {
    const asyncInstance = (await harness.createInstance('slow', await harness.planGuid('testdb', 'async'))).guid;
    const bound = await harness.bind(appGuid, asyncInstance);
    expect(bound.job.state).toBe('COMPLETE');
    const base = `/v2/service_instances/${asyncInstance}/service_bindings/${bound.guid}`;
    const polls = broker.requests.filter((r) => r.method === 'GET' && r.path === `${base}/last_operation`);
    expect(polls.length).toBeGreaterThan(0);
    expect(polls[0]!.query).toMatchObject({ service_id: DB_SERVICE, plan_id: PLAN_ASYNC });
    expect(broker.requests.filter((r) => r.method === 'GET' && r.path === base)).toHaveLength(1);
    const details = (await harness.get(`/v3/service_credential_bindings/${bound.guid}/details`)).body as Body;
    expect((details.credentials as Body).password).toBe(CREDENTIAL_SECRET);
  });

  test('rotation: a new binding names its predecessor; both stay valid', async () => {
    const first = await harness.bind(appGuid, instanceGuid, { name: 'v1' });
    const second = await harness.bind(appGuid, instanceGuid, { name: 'v2', predecessor_guid: first.guid });
    expect(second.status).toBe(202);
    expect(second.job.state).toBe('COMPLETE');
    const call = broker.received('PUT', `/v2/service_instances/${instanceGuid}/service_bindings/${second.guid}`)[0]!;
    expect((call.body as Body).predecessor_binding_id).toBe(first.guid);
    const bindings = (await harness.get(`/v3/service_credential_bindings?app_guids=${appGuid}`)).body.resources as Body[];
    expect(bindings.map((b) => [b.name, (b.last_operation as Body).state])).toEqual([['v1', 'succeeded'], ['v2', 'succeeded']]);
    expect((await harness.get(`/v3/service_credential_bindings/${second.guid}`)).body.predecessor_guid).toBe(first.guid);
    const vcap = (await harness.get(`/v3/apps/${appGuid}/env`)).body.system_env_json.VCAP_SERVICES.testdb as Body[];
    expect(vcap.map((e) => e.binding_name)).toEqual(['v1', 'v2']);
  });

  test('rotation names a binding of the same app: another app\'s binding on the instance is not a predecessor', async () => {
    const otherApp = await harness.createApp('other-app');
    const others = await harness.bind(otherApp, instanceGuid, { name: 'theirs' });
    const res = await harness.bind(appGuid, instanceGuid, { name: 'mine', predecessor_guid: others.guid });
    expect(res.status).toBe(422);
    expect(errorDetail(res.response)).toContain('The predecessor binding could not be found');
  });

  test('rotation is refused when the plan is not binding_rotatable', async () => {
    const large = (await harness.createInstance('big', await harness.planGuid('testdb', 'large'))).guid;
    const first = await harness.bind(appGuid, large);
    const res = await harness.bind(appGuid, large, { predecessor_guid: first.guid });
    expect(res.status).toBe(422);
    expect(errorDetail(res.response)).toBe('Service plan does not allow binding rotation.');
    expect(broker.received('PUT', `/v2/service_instances/${large}/service_bindings/`)).toHaveLength(1);
  });

  test('delete unbinds with service_id, plan_id and identity; the binding is gone', async () => {
    const bound = await harness.bind(appGuid, instanceGuid);
    const res = await harness.delete(`/v3/service_credential_bindings/${bound.guid}`);
    expect(res.status).toBe(202);
    expect((await harness.waitForJob(res.headers.location))).toMatchObject({ state: 'COMPLETE', operation: 'service_bindings.delete' });
    const call = broker.received('DELETE', `/v2/service_instances/${instanceGuid}/service_bindings/${bound.guid}`)[0]!;
    expect(call.query).toEqual({ accepts_incomplete: 'true', service_id: DB_SERVICE, plan_id: PLAN_SMALL });
    expect(decodeIdentity(call.headers['x-broker-api-originating-identity'])!.value).toEqual({ user_id: harness.userGuid });
    expect((await harness.get(`/v3/service_credential_bindings/${bound.guid}`)).status).toBe(404);
    expect((await harness.get(`/v3/apps/${appGuid}/env`)).body.system_env_json).toEqual({ VCAP_SERVICES: {} });
  });

  test('an unbind answered 410 counts as success', async () => {
    const bound = await harness.bind(appGuid, instanceGuid);
    broker.intercept = (req, res) => {
      if (req.method !== 'DELETE') return false;
      res.status(410).json({});
      return true;
    };
    expect((await harness.waitForJob((await harness.delete(`/v3/service_credential_bindings/${bound.guid}`)).headers.location)).state).toBe('COMPLETE');
    expect((await harness.get(`/v3/service_credential_bindings/${bound.guid}`)).status).toBe(404);
  });
});

describe('volume service bindings and apps on the cell', () => {
  let harness: Harness;
  let db: TestBroker;
  let volumes: TestBroker;
  let dbInstance: string;
  let volumeInstance: string;

  beforeEach(async () => {
    db = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
    volumes = await startTestBroker({ catalog: volumeCatalog(), broker: new VolumeBroker() });
    harness = await Harness.start();
    await harness.registerBroker('db', db.url);
    await harness.registerBroker('volumes', volumes.url);
    await harness.enableAccess('testdb');
    await harness.enableAccess('testvolume');
    dbInstance = (await harness.createInstance('db1', await harness.planGuid('testdb', 'small'))).guid;
    volumeInstance = (await harness.createInstance('vol1', await harness.planGuid('testvolume', 'shared'))).guid;
  });

  afterEach(async () => {
    await harness.close();
    await db.stop();
    await volumes.stop();
  });

  test('volume_mounts are stored in full, shown redacted in VCAP_SERVICES, and given in full to the cell', async () => {
    const app = await harness.createApp('web', { env: { GREETING: 'hi' }, instances: 2 });
    const bound = await harness.bind(app, volumeInstance);
    expect(bound.job.state).toBe('COMPLETE');
    await harness.bind(app, dbInstance);
    const fullMount = {
      driver: 'localdriver',
      container_dir: '/var/vcap/data/shared',
      mode: 'rw',
      device_type: 'shared',
      device: { volume_id: `vol-${volumeInstance}`, mount_config: { uid: '1000', password: MOUNT_SECRET } },
    };
    expect((await harness.get(`/v3/service_credential_bindings/${bound.guid}/details`)).body.volume_mounts).toEqual([fullMount]);

    const env = await harness.get(`/v3/apps/${app}/env`);
    const vcap = env.body.system_env_json.VCAP_SERVICES as Record<string, Body[]>;
    expect(vcap.testvolume![0]!.volume_mounts).toEqual([{ container_dir: '/var/vcap/data/shared', mode: 'rw', device_type: 'shared' }]);
    expect(JSON.stringify(env.body)).not.toContain(MOUNT_SECRET);

    const started = await harness.post(`/v3/apps/${app}/actions/start`);
    expect(started.status).toBe(200);
    expect(started.body.state).toBe('STARTED');
    const lrp = harness.cell.lastDesired(app)!;
    const bits = ((await harness.get(`/v3/apps/${app}/packages`)).body.resources as Body[])[0]!;
    expect(lrp).toMatchObject({ name: 'web', command: 'node server.js', instances: 2, appDir: join(harness.dataDir, 'packages', String(bits.guid), 'bits') });
    expect(lrp.volumeMounts).toEqual([
      { driver: 'localdriver', volumeId: `vol-${volumeInstance}`, mountConfig: { uid: '1000', password: MOUNT_SECRET }, containerDir: '/var/vcap/data/shared', mode: 'rw' },
    ]);
    expect(Object.keys(lrp.env).sort()).toEqual(['GREETING', 'VCAP_APPLICATION', 'VCAP_SERVICES']);
    expect(lrp.env.GREETING).toBe('hi');
    expect(JSON.parse(lrp.env.VCAP_SERVICES!)).toEqual(vcap);
    expect(lrp.env.VCAP_SERVICES).not.toContain(MOUNT_SECRET);
    expect(JSON.parse(lrp.env.VCAP_APPLICATION!)).toMatchObject({ application_id: app, application_name: 'web' });
  });

  test('volume_mounts that fail validation: the job fails with the reason, and the binding is unbound', async () => {
    const app = await harness.createApp('web');
    const bound = await harness.bind(app, volumeInstance, { parameters: { mounts: 'bad' } });
    expect(bound.job.state).toBe('FAILED');
    expect(bound.job.errors[0]!.title).toBe('CF-ServiceBrokerBadResponse');
    const detail = bound.job.errors[0]!.detail;
    expect(detail).toMatch(/^The service broker returned an invalid response: /);
    expect(detail).toContain("volume_mounts[0]: missing required field 'driver'");
    expect(detail).toContain('volume_mounts[0].mode must be "r" or "rw"');
    expect(detail).toContain('volume_mounts[0].device.volume_id must be a non-empty string');
    expect(detail).toContain('volume_mounts[0].container_dir must be an absolute path');
    await harness.eventually(() => volumes.requests.find((r) => r.method === 'DELETE' && r.path.endsWith(`/service_bindings/${bound.guid}`)), 'the mitigating unbind');
    expect((await harness.get(`/v3/apps/${app}/env`)).body.system_env_json).toEqual({ VCAP_SERVICES: {} });
  });

  test('with volume services disabled, volume instances can be created (with a warning) but not bound', async () => {
    await harness.restart({ volumeServicesEnabled: false });
    const app = await harness.createApp('web');
    const res = await harness.bind(app, volumeInstance);
    expect(res.status).toBe(422);
    expect(errorDetail(res.response)).toBe('Support for volume mount services is disabled');
    expect(volumes.received('PUT', `/v2/service_instances/${volumeInstance}/service_bindings/`)).toEqual([]);

    const another = await harness.createInstance('vol2', await harness.planGuid('testvolume', 'shared'));
    expect(another.job.state).toBe('COMPLETE');
    expect(another.job.warnings).toEqual([{ detail: 'Support for volume services is disabled. This service instance cannot be bound to an app.' }]);
  });

  test('start, stop and restart reach the cell; processes and logs come from it', async () => {
    const app = await harness.createApp('web', { instances: 2 });
    await harness.bind(app, dbInstance);
    expect((await harness.post(`/v3/apps/${app}/actions/start`)).status).toBe(200);
    const processes = await harness.get(`/v3/apps/${app}/processes`);
    expect(processes.body).toMatchObject({ type: 'web', instances: 2, command: 'node server.js' });
    expect(processes.body.resources).toEqual([
      { type: 'web', index: 0, state: 'RUNNING', since: '2025-01-01T00:00:00.000Z', crash_count: 0 },
      { type: 'web', index: 1, state: 'CRASHED', since: '2025-01-01T00:00:00.000Z', crash_count: 1 },
    ]);
    expect((await harness.get(`/v3/apps/${app}/logs?recent=true`)).body).toEqual({ lines: [{ timestamp: '2025-01-01T00:00:00.000Z', instance: 0, source: 'OUT', line: `hello from ${app}` }] });

    // A binding made while running reaches the app at the next restart, as in Cloud Foundry.
    expect(JSON.parse(harness.cell.lastDesired(app)!.env.VCAP_SERVICES!)).toHaveProperty('testdb');
    await harness.bind(app, volumeInstance);
    expect((await harness.post(`/v3/apps/${app}/actions/restart`)).body.state).toBe('STARTED');
    const ops = harness.cell.calls.filter((c) => c.appGuid === app).map((c) => c.op);
    expect(ops).toEqual(['desire', 'status', 'logs', 'stop', 'desire']);
    expect(harness.cell.lastDesired(app)!.volumeMounts).toHaveLength(1);

    expect((await harness.post(`/v3/apps/${app}/actions/stop`)).body.state).toBe('STOPPED');
    expect(harness.cell.calls.at(-1)).toEqual({ op: 'stop', appGuid: app });
    expect((await harness.get(`/v3/apps/${app}`)).body.state).toBe('STOPPED');
  });

  test('an unreachable cell is a 503 and the app state does not change', async () => {
    const app = await harness.createApp('web');
    harness.cell.failNext = true;
    const res = await harness.post(`/v3/apps/${app}/actions/start`);
    expect(res.status).toBe(503);
    expect(res.body.errors[0].title).toBe('CF-RunnerUnavailable');
    expect((await harness.get(`/v3/apps/${app}`)).body.state).toBe('STOPPED');
  });

  test('environment variables can be set and removed; the next start uses them', async () => {
    const app = await harness.createApp('web', { env: { A: '1', B: '2' } });
    const res = await harness.patch(`/v3/apps/${app}/environment_variables`, { var: { B: null, C: '3' } });
    expect(res.status).toBe(200);
    expect(res.body.var).toEqual({ A: '1', C: '3' });
    expect((await harness.get(`/v3/apps/${app}/env`)).body.environment_variables).toEqual({ A: '1', C: '3' });
    await harness.post(`/v3/apps/${app}/actions/start`);
    expect(harness.cell.lastDesired(app)!.env).toMatchObject({ A: '1', C: '3' });
    expect(harness.cell.lastDesired(app)!.env).not.toHaveProperty('B');
  });

  test('deleting an app stops it and unbinds its bindings through the broker first', async () => {
    const app = await harness.createApp('web');
    const dbBinding = await harness.bind(app, dbInstance);
    const volumeBinding = await harness.bind(app, volumeInstance);
    await harness.post(`/v3/apps/${app}/actions/start`);
    const res = await harness.delete(`/v3/apps/${app}`);
    expect(res.status).toBe(202);
    expect((await harness.waitForJob(res.headers.location))).toMatchObject({ state: 'COMPLETE', operation: 'app.delete' });
    expect(harness.cell.calls.at(-1)).toEqual({ op: 'stop', appGuid: app });
    expect(db.received('DELETE', `/v2/service_instances/${dbInstance}/service_bindings/${dbBinding.guid}`)).toHaveLength(1);
    expect(volumes.received('DELETE', `/v2/service_instances/${volumeInstance}/service_bindings/${volumeBinding.guid}`)).toHaveLength(1);
    expect((await harness.get(`/v3/apps/${app}`)).status).toBe(404);
    expect((await harness.get('/v3/service_credential_bindings')).body.resources).toEqual([]);
    // The instances can now go.
    expect((await harness.delete(`/v3/service_instances/${dbInstance}`)).status).toBe(202);
  });

  test('a volume binding carries the volume offering ids', async () => {
    const app = await harness.createApp('web');
    const bound = await harness.bind(app, volumeInstance, { parameters: { mount: '/data' } });
    const call = volumes.received('PUT', `/v2/service_instances/${volumeInstance}/service_bindings/${bound.guid}`)[0]!;
    expect(call.body).toMatchObject({ service_id: VOLUME_SERVICE, plan_id: PLAN_VOLUME, app_guid: app });
  });
});
