import { join } from 'node:path';
import Database from 'better-sqlite3';
import { answerFromStore, type BindRequest, type BindResult, type ProvisionResult, type ServiceBroker } from '../../../sdk';
import {
  CREDENTIAL_SECRET, DatabaseBroker, DB_SERVICE, PLAN_ASYNC, PLAN_SMALL, VolumeBroker, databaseCatalog, volumeCatalog,
} from './support/brokers';
import { Harness, errorDetail, type JobBody } from './support/harness';
import { sleep, startTestBroker, type TestBroker } from './support/test-broker';

jest.setTimeout(30_000);

type Body = Record<string, unknown>;

/**
 * Service keys: credential bindings of type `key`, as in Cloud Controller v3. They go to the
 * broker as bindings without an app, and share everything else with app bindings: async
 * polling, orphan mitigation, deletion, and who may see their credentials.
 */
describe('service keys', () => {
  let harness: Harness;
  let broker: TestBroker;
  let instanceGuid: string;

  beforeEach(async () => {
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
    harness = await Harness.start({ brokerTimeoutMs: 400 });
    await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    instanceGuid = (await harness.createInstance('db1', await harness.planGuid('testdb', 'small'))).guid;
  });

  afterEach(async () => {
    await harness.close();
    await broker.stop();
  });

  async function createKey(instance: string, name: string | undefined, extra: Body = {}): Promise<{ status: number; job: JobBody; guid: string; body: Body }> {
    const response = await harness.post('/v3/service_credential_bindings', {
      type: 'key',
      ...(name !== undefined ? { name } : {}),
      relationships: { service_instance: { data: { guid: instance } } },
      ...extra,
    });
    if (response.status !== 202) return { status: response.status, job: undefined as unknown as JobBody, guid: '', body: response.body as Body };
    const job = await harness.waitForJob(response.headers.location);
    const href = (response.body as { links: Record<string, { href: string }> }).links.service_credential_bindings?.href ?? '';
    return { status: response.status, job, guid: href.split('/').pop() ?? '', body: response.body as Body };
  }

  test('a key is a bind without an app; it shows as type key with only its instance, and its details hold the credentials', async () => {
    const key = await createKey(instanceGuid, 'k1', { parameters: { read_only: true } });
    expect(key.status).toBe(202);
    expect(key.job).toMatchObject({ state: 'COMPLETE', operation: 'service_bindings.create' });

    const space = ((await harness.get('/v3/spaces')).body.resources as Body[])[0]!;
    const organization = ((await harness.get('/v3/organizations')).body.resources as Body[])[0]!;
    const call = broker.received('PUT', `/v2/service_instances/${instanceGuid}/service_bindings/${key.guid}`)[0]!;
    expect(call.body).toEqual({
      service_id: DB_SERVICE,
      plan_id: PLAN_SMALL,
      context: { platform: 'cloudfoundry', organization_guid: organization.guid, organization_name: 'osbkit-org', space_guid: space.guid, space_name: 'dev' },
      parameters: { read_only: true },
    });

    const shown = (await harness.get(`/v3/service_credential_bindings/${key.guid}`)).body as Body;
    expect(shown).toMatchObject({ guid: key.guid, name: 'k1', type: 'key', last_operation: { type: 'create', state: 'succeeded' } });
    expect(shown.relationships).toEqual({ service_instance: { data: { guid: instanceGuid } } });
    expect(Object.keys(shown.links as Body).sort()).toEqual(['details', 'parameters', 'self', 'service_instance']);
    expect(JSON.stringify(shown)).not.toContain(CREDENTIAL_SECRET);
    const details = await harness.get(`/v3/service_credential_bindings/${key.guid}/details`);
    expect(details.body).toEqual({ credentials: { username: `user-${key.guid.slice(0, 8)}`, password: CREDENTIAL_SECRET, uri: `db://host/${instanceGuid}` }, syslog_drain_url: null, volume_mounts: [] });

    const app = await harness.createApp('web');
    const bound = await harness.bind(app, instanceGuid);
    const listed = async (query: string): Promise<string[]> => ((await harness.get(`/v3/service_credential_bindings?${query}`)).body.resources as Body[]).map((b) => String(b.guid));
    expect(await listed(`type=key&service_instance_guids=${instanceGuid}`)).toEqual([key.guid]);
    expect(await listed('type=app')).toEqual([bound.guid]);
    expect(await listed(`app_guids=${app}`)).toEqual([bound.guid]);
    expect(await listed('names=k1')).toEqual([key.guid]);
    // A key never reaches an app's environment.
    expect(JSON.stringify((await harness.get(`/v3/apps/${app}/env`)).body)).not.toContain(key.guid);
  });

  test('a key needs a name unique in its instance and no app; the checks name the problem and nothing reaches the broker', async () => {
    const noName = await createKey(instanceGuid, undefined);
    expect(noName.status).toBe(422);
    expect(errorDetail({ body: noName.body } as never)).toBe("'name' is required and must be a non-empty string");
    const app = await harness.createApp('web');
    const withApp = await harness.post('/v3/service_credential_bindings', {
      type: 'key', name: 'k', relationships: { service_instance: { data: { guid: instanceGuid } }, app: { data: { guid: app } } },
    });
    expect(withApp.status).toBe(422);
    expect(errorDetail(withApp)).toBe("'relationships.app' must not be given for type 'key': a service key has no app");
    const badType = await harness.post('/v3/service_credential_bindings', { type: 'route', relationships: { service_instance: { data: { guid: instanceGuid } } } });
    expect(errorDetail(badType)).toContain("'type' must be 'app' (a binding to an app) or 'key' (a service key)");
    const nowhere = await createKey('4d1c0b84-0000-4000-8000-000000000000', 'k');
    expect(nowhere.status).toBe(422);
    expect(errorDetail({ body: nowhere.body } as never)).toBe('The service instance could not be found: 4d1c0b84-0000-4000-8000-000000000000');
    expect(broker.received('PUT', '/v2/service_instances/')).toHaveLength(1); // the provision only

    expect((await createKey(instanceGuid, 'k1')).job.state).toBe('COMPLETE');
    const again = await createKey(instanceGuid, 'k1');
    expect(again.status).toBe(422);
    expect(errorDetail({ body: again.body } as never)).toBe("The binding name is invalid. Key binding names must be unique. The service instance already has a key binding with name 'k1'.");
    const other = (await harness.createInstance('db2', await harness.planGuid('testdb', 'small'))).guid;
    expect((await createKey(other, 'k1')).job.state).toBe('COMPLETE');
    // An app binding may carry the same name: app binding names are unique per app.
    expect((await harness.bind(app, instanceGuid, { name: 'k1' })).job.state).toBe('COMPLETE');
  });

  test('a non-bindable plan gets no key', async () => {
    const nobind = (await harness.createInstance('nb', await harness.planGuid('testdb', 'nobind'))).guid;
    const res = await createKey(nobind, 'k');
    expect(res.status).toBe(422);
    expect(errorDetail({ body: res.body } as never)).toBe('Service plan does not allow bindings.');
  });

  test('an async key is polled, then fetched; deleting it is polled too', async () => {
    const asyncInstance = (await harness.createInstance('adb', await harness.planGuid('testdb', 'async'))).guid;
    const key = await createKey(asyncInstance, 'slow');
    expect(key.job.state).toBe('COMPLETE');
    expect(broker.received('GET', `/v2/service_instances/${asyncInstance}/service_bindings/${key.guid}/last_operation`).length).toBeGreaterThan(0);
    const fetched = broker.requests.filter((r) => r.method === 'GET' && r.path === `/v2/service_instances/${asyncInstance}/service_bindings/${key.guid}`);
    expect(fetched).toHaveLength(1);
    expect((await harness.get(`/v3/service_credential_bindings/${key.guid}/details`)).body.credentials).toMatchObject({ password: CREDENTIAL_SECRET });

    const deleted = await harness.delete(`/v3/service_credential_bindings/${key.guid}`);
    expect(deleted.status).toBe(202);
    expect(await harness.waitForJob(deleted.headers.location)).toMatchObject({ state: 'COMPLETE', operation: 'service_bindings.delete' });
    const unbind = broker.received('DELETE', `/v2/service_instances/${asyncInstance}/service_bindings/${key.guid}`)[0]!;
    expect(unbind.query).toMatchObject({ service_id: DB_SERVICE, plan_id: PLAN_ASYNC, accepts_incomplete: 'true' });
    expect((await harness.get(`/v3/service_credential_bindings/${key.guid}`)).status).toBe(404);
  });

  test('a key the broker failed to create (5xx) is orphan-mitigated, stays listed as failed, and its name can be used again', async () => {
    const failed = await createKey(instanceGuid, 'k1', { parameters: { fail: '500' } });
    expect(failed.job.state).toBe('FAILED');
    expect(failed.job.errors[0]!.detail).toMatch(/ The service key stays listed with its creation failed\. The platform is asking the service broker to unbind whatever it may have created \(orphan mitigation\)/);
    const path = `/v2/service_instances/${instanceGuid}/service_bindings/${failed.guid}`;
    await harness.eventually(() => broker.requests.find((r) => r.method === 'DELETE' && r.path === path), 'the mitigating unbind');
    await harness.eventually(async () => {
      const op = (await harness.get(`/v3/service_credential_bindings/${failed.guid}`)).body.last_operation as Body;
      return op.state === 'failed' && String(op.description).includes('Orphan mitigation: the service broker confirmed the unbind.') ? op : undefined;
    }, 'the mitigation recorded on the key');
    expect((await harness.get(`/v3/service_credential_bindings/${failed.guid}/details`)).status).toBe(422);

    const again = await createKey(instanceGuid, 'k1');
    expect(again.job.state).toBe('COMPLETE');
    const keys = (await harness.get(`/v3/service_credential_bindings?type=key&service_instance_guids=${instanceGuid}`)).body.resources as Body[];
    expect(keys.map((k) => k.guid)).toEqual([again.guid]);
  });

  test('a key blocks deleting its instance, naming it; deleting the key unbinds it at the broker and then the instance goes', async () => {
    const key = await createKey(instanceGuid, 'reporting');
    const app = await harness.createApp('web');
    const bound = await harness.bind(app, instanceGuid);
    const refused = await harness.delete(`/v3/service_instances/${instanceGuid}`);
    expect(refused.status).toBe(422);
    expect(errorDetail(refused)).toBe('Cannot delete service instance. Service keys and bindings must first be deleted: bound to app(s) web; service key(s) reporting.');

    const deleted = await harness.delete(`/v3/service_credential_bindings/${key.guid}`);
    expect(await harness.waitForJob(deleted.headers.location)).toMatchObject({ state: 'COMPLETE' });
    const unbind = broker.received('DELETE', `/v2/service_instances/${instanceGuid}/service_bindings/${key.guid}`)[0]!;
    expect(unbind.query).toMatchObject({ service_id: DB_SERVICE, plan_id: PLAN_SMALL });
    expect(errorDetail(await harness.delete(`/v3/service_instances/${instanceGuid}`))).toBe('Cannot delete service instance. Service keys and bindings must first be deleted: bound to app(s) web.');
    await harness.waitForJob((await harness.delete(`/v3/service_credential_bindings/${bound.guid}`)).headers.location);
    const gone = await harness.delete(`/v3/service_instances/${instanceGuid}`);
    expect(gone.status).toBe(202);
    expect((await harness.waitForJob(gone.headers.location)).state).toBe('COMPLETE');
  });

  test('space developers of the instance\'s space create, see, read and delete keys; others get 404 and an empty list', async () => {
    const spaceA = await harness.spaceGuid();
    const spaceB = await harness.createSpace('team-b');
    const insider = await harness.spaceDeveloper('dora', spaceA);
    const outsider = await harness.spaceDeveloper('eve', spaceB);

    const created = await insider.client.post('/v3/service_credential_bindings', { type: 'key', name: 'dora-key', relationships: { service_instance: { data: { guid: instanceGuid } } } });
    expect(created.status).toBe(202);
    const job = await harness.waitForJob(created.headers.location);
    expect(job.state).toBe('COMPLETE');
    const guid = String((created.body as { links: Record<string, { href: string }> }).links.service_credential_bindings?.href.split('/').pop());
    expect((await insider.client.get(`/v3/service_credential_bindings/${guid}`)).body).toMatchObject({ type: 'key', name: 'dora-key' });
    expect((await insider.client.get(`/v3/service_credential_bindings/${guid}/details`)).body.credentials).toMatchObject({ password: CREDENTIAL_SECRET });

    for (const path of [`/v3/service_credential_bindings/${guid}`, `/v3/service_credential_bindings/${guid}/details`, `/v3/service_credential_bindings/${guid}/parameters`]) {
      expect((await outsider.client.get(path)).status).toBe(404);
    }
    expect((await outsider.client.get('/v3/service_credential_bindings?type=key')).body.resources).toEqual([]);
    expect((await outsider.client.delete(`/v3/service_credential_bindings/${guid}`)).status).toBe(404);
    const foreign = await outsider.client.post('/v3/service_credential_bindings', { type: 'key', name: 'eve-key', relationships: { service_instance: { data: { guid: instanceGuid } } } });
    expect(foreign.status).toBe(422);
    expect(errorDetail(foreign)).toBe(`The service instance could not be found: ${instanceGuid}`);
    expect(broker.received('PUT', '/v2/service_instances/').filter((r) => r.path.includes('/service_bindings/'))).toHaveLength(1);

    const removed = await insider.client.delete(`/v3/service_credential_bindings/${guid}`);
    expect(removed.status).toBe(202);
    expect((await harness.waitForJob(removed.headers.location)).state).toBe('COMPLETE');
  });
});

describe('service keys for services that bind only to apps', () => {
  let harness: Harness;
  const brokers: TestBroker[] = [];

  /** A broker whose bindings must name an app: the SDK answers 422 RequiresApp without one. */
  class AppOnlyBroker implements ServiceBroker {
    async provision(): Promise<ProvisionResult> {
      return {};
    }

    async deprovision(): Promise<void> {}

    async bind(request: BindRequest): Promise<BindResult> {
      return { credentials: { for: request.appGuid ?? 'nobody' } };
    }

    async unbind(): Promise<void> {}

    requiresApp(): boolean {
      return true;
    }

    getInstance = answerFromStore.getInstance;
    getBinding = answerFromStore.getBinding;
  }

  beforeEach(async () => {
    harness = await Harness.start();
  });

  afterEach(async () => {
    await harness.close();
    for (const broker of brokers.splice(0)) await broker.stop();
  });

  test('a broker that answers 422 RequiresApp: the key fails saying so, and nothing is orphan-mitigated', async () => {
    const catalog = { services: [{ id: 'svc-apponly-1f3e', name: 'apponly', description: 'binds to apps only', bindable: true, plans: [{ id: 'plan-apponly-77aa', name: 'std', description: 'standard' }] }] };
    const broker = await startTestBroker({ catalog, broker: new AppOnlyBroker() });
    brokers.push(broker);
    await harness.registerBroker('apponly', broker.url);
    await harness.enableAccess('apponly');
    const instance = (await harness.createInstance('a1', await harness.planGuid('apponly', 'std'))).guid;
    const response = await harness.post('/v3/service_credential_bindings', { type: 'key', name: 'k', relationships: { service_instance: { data: { guid: instance } } } });
    expect(response.status).toBe(202);
    const job = await harness.waitForJob(response.headers.location);
    expect(job.state).toBe('FAILED');
    expect(job.errors[0]!.detail).toBe('The service broker does not support service keys for this service: it binds only to apps (RequiresApp): This service supports generation of credentials through binding an application only. '
      + 'The service key stays listed with its creation failed. Creating a key with the same name replaces it; deleting it removes it.');
    const guid = String((response.body as { links: Record<string, { href: string }> }).links.service_credential_bindings?.href.split('/').pop());
    expect((await harness.get(`/v3/service_credential_bindings/${guid}`)).body.last_operation).toMatchObject({ type: 'create', state: 'failed' });
    await sleep(300);
    expect(broker.received('DELETE', '/v2/service_instances/')).toEqual([]);
    // The same instance binds to an app as usual.
    expect((await harness.bind(await harness.createApp('web'), instance)).job.state).toBe('COMPLETE');
  });

  test('a volume service gets no key: refused up front, nothing sent to the broker', async () => {
    const volumeBroker = new VolumeBroker();
    const broker = await startTestBroker({ catalog: volumeCatalog(), broker: volumeBroker });
    brokers.push(broker);
    await harness.registerBroker('vol', broker.url);
    await harness.enableAccess('testvolume');
    const instance = (await harness.createInstance('v1', await harness.planGuid('testvolume', 'shared'))).guid;
    const response = await harness.post('/v3/service_credential_bindings', { type: 'key', name: 'k', relationships: { service_instance: { data: { guid: instance } } } });
    expect(response.status).toBe(422);
    expect(errorDetail(response)).toBe("Service credential bindings of type 'key' are not supported for volume services: their volume mounts need an app to mount into. Bind the service instance to an app instead.");
    expect(volumeBroker.binds).toEqual([]);
    expect((await harness.get('/v3/service_credential_bindings?type=key')).body.resources).toEqual([]);
  });
});

describe('a database from before service keys', () => {
  let harness: Harness;
  let broker: TestBroker;

  beforeEach(async () => {
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
    harness = await Harness.start();
    await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
  });

  afterEach(async () => {
    await harness.close();
    await broker.stop();
  });

  /** Puts service_bindings back in the layout of schema version 2 (no type, app_guid required), rows kept, and apps before packages. */
  function downgradeToVersion2(dataDir: string): void {
    const db = new Database(join(dataDir, 'controller.db'));
    db.exec(`
      CREATE TABLE service_bindings_v2 (
        guid TEXT PRIMARY KEY, name TEXT, instance_guid TEXT NOT NULL REFERENCES service_instances(guid),
        app_guid TEXT NOT NULL REFERENCES apps(guid), predecessor_guid TEXT, established INTEGER NOT NULL, expires_at TEXT,
        details_sealed TEXT, op_type TEXT NOT NULL, op_state TEXT NOT NULL, op_description TEXT NOT NULL,
        op_created_at TEXT NOT NULL, op_updated_at TEXT NOT NULL, phase TEXT, broker_operation TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (app_guid, name)
      );
      INSERT INTO service_bindings_v2 SELECT guid, name, instance_guid, app_guid, predecessor_guid, established, expires_at, details_sealed,
        op_type, op_state, op_description, op_created_at, op_updated_at, phase, broker_operation, created_at, updated_at FROM service_bindings;
      DROP TABLE service_bindings;
      ALTER TABLE service_bindings_v2 RENAME TO service_bindings;
      DROP TABLE packages;
      ALTER TABLE apps DROP COLUMN package_guid;
      ALTER TABLE apps ADD COLUMN path TEXT;
      PRAGMA user_version = 2;
    `);
    db.close();
  }

  test('its app bindings become bindings of type app with their credentials, and keys can be made', async () => {
    const instance = (await harness.createInstance('db1', await harness.planGuid('testdb', 'small'))).guid;
    const app = await harness.createApp('web');
    const bound = await harness.bind(app, instance, { name: 'mydb' });
    const before = (await harness.get(`/v3/apps/${app}/env`)).body as Body;
    await harness.controller.close();
    downgradeToVersion2(harness.dataDir);
    await harness.restart();

    expect((await harness.get(`/v3/service_credential_bindings/${bound.guid}`)).body).toMatchObject({ type: 'app', name: 'mydb', relationships: { app: { data: { guid: app } } } });
    expect((await harness.get(`/v3/service_credential_bindings/${bound.guid}/details`)).body.credentials).toMatchObject({ password: CREDENTIAL_SECRET });
    expect((await harness.get(`/v3/apps/${app}/env`)).body).toEqual(before);
    const key = await harness.post('/v3/service_credential_bindings', { type: 'key', name: 'mydb', relationships: { service_instance: { data: { guid: instance } } } });
    expect((await harness.waitForJob(key.headers.location)).state).toBe('COMPLETE');
    const db = new Database(join(harness.dataDir, 'controller.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(3);
    db.close();
  });
});
