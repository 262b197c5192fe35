import { CREDENTIAL_SECRET, DatabaseBroker, VolumeBroker, databaseCatalog, volumeCatalog } from './support/brokers';
import { tarOfFiles } from '../../support/tar-archive';
import { DEFAULT_APP_FILES, Harness, errorDetail, type ApiClient } from './support/harness';
import { BROKER_CREDENTIALS, startTestBroker, type TestBroker } from './support/test-broker';

jest.setTimeout(30_000);

type Body = Record<string, unknown>;

const INVALID_SPACE = 'Invalid space. Ensure that the space exists and you have access to it.';

/**
 * Cloud Controller's roles: an admin runs the marketplace and the people; a space developer
 * runs services and apps in their own spaces and sees nothing of anyone else's.
 */
describe('roles: admins and space developers', () => {
  let harness: Harness;
  let broker: TestBroker;
  let spaceA: string;
  let spaceB: string;
  let planGuid: string;
  let developerA: { client: ApiClient; guid: string };
  let developerB: { client: ApiClient; guid: string };

  beforeEach(async () => {
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
    harness = await Harness.start();
    await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    planGuid = await harness.planGuid('testdb', 'small');
    spaceA = await harness.spaceGuid();
    spaceB = await harness.createSpace('space-b');
    developerA = await harness.spaceDeveloper('dev-a', spaceA);
    developerB = await harness.spaceDeveloper('dev-b', spaceB);
  });

  afterEach(async () => {
    await harness.close();
    await broker.stop();
  });

  const guidFromLink = (res: { body: Body }, key: string): string =>
    String((res.body as { links: Record<string, { href: string }> }).links[key]!.href.split('/').pop());

  /** As `client`: an instance, an app and a binding in `spaceGuid`; answers their guids. */
  async function provisionAndBind(client: ApiClient, spaceGuid: string, prefix: string): Promise<{ instance: string; app: string; binding: string }> {
    const created = await client.post('/v3/service_instances', {
      type: 'managed', name: `${prefix}-db`, relationships: { space: { data: { guid: spaceGuid } }, service_plan: { data: { guid: planGuid } } },
    });
    expect(created.status).toBe(202);
    expect((await client.get(new URL(created.headers.location!).pathname)).status).toBe(200);
    expect((await harness.waitForJob(created.headers.location)).state).toBe('COMPLETE');
    const instance = guidFromLink(created, 'service_instances');
    const app = await client.post('/v3/apps', { name: `${prefix}-app`, command: 'run', relationships: { space: { data: { guid: spaceGuid } } } });
    expect(app.status).toBe(201);
    await harness.uploadBits(String(app.body.guid), tarOfFiles(DEFAULT_APP_FILES), client);
    const bound = await client.post('/v3/service_credential_bindings', {
      type: 'app', relationships: { service_instance: { data: { guid: instance } }, app: { data: { guid: app.body.guid } } },
    });
    expect(bound.status).toBe(202);
    expect((await harness.waitForJob(bound.headers.location)).state).toBe('COMPLETE');
    return { instance, app: String(app.body.guid), binding: guidFromLink(bound, 'service_credential_bindings') };
  }

  test('a space developer of space B cannot read space A\'s binding credentials, nor see anything else of space A', async () => {
    const a = await provisionAndBind(developerA.client, spaceA, 'a');
    const b = developerB.client;

    const details = await b.get(`/v3/service_credential_bindings/${a.binding}/details`);
    expect(details.status).toBe(404);
    expect(details.body).toEqual({ errors: [{ code: 10010, title: 'CF-ResourceNotFound', detail: 'Service credential binding not found' }] });
    expect(JSON.stringify(details.body)).not.toContain(CREDENTIAL_SECRET);
    const env = await b.get(`/v3/apps/${a.app}/env`);
    expect(env.status).toBe(404);
    expect(JSON.stringify(env.body)).not.toContain(CREDENTIAL_SECRET);
    expect((await b.get(`/v3/apps/${a.app}/environment_variables`)).status).toBe(404);
    expect((await b.get(`/v3/service_credential_bindings/${a.binding}`)).status).toBe(404);
    expect((await b.get(`/v3/service_instances/${a.instance}`)).status).toBe(404);
    expect((await b.get(`/v3/apps/${a.app}`)).status).toBe(404);
    expect((await b.get(`/v3/spaces/${spaceA}`)).status).toBe(404);
    for (const list of ['/v3/service_credential_bindings', '/v3/service_instances', '/v3/apps']) {
      expect([list, (await b.get(list)).body.resources]).toEqual([list, []]);
    }
    expect(((await b.get('/v3/spaces')).body.resources as Body[]).map((s) => s.guid)).toEqual([spaceB]);

    // Nor change it, nor reach it through a binding of their own.
    expect((await b.delete(`/v3/service_instances/${a.instance}`)).status).toBe(404);
    expect((await b.delete(`/v3/service_credential_bindings/${a.binding}`)).status).toBe(404);
    expect((await b.post(`/v3/apps/${a.app}/actions/start`)).status).toBe(404);
    expect((await b.patch(`/v3/apps/${a.app}/environment_variables`, { var: { X: 'y' } })).status).toBe(404);
    const ownApp = await b.post('/v3/apps', { name: 'b-app', command: 'run', relationships: { space: { data: { guid: spaceB } } } });
    const stolen = await b.post('/v3/service_credential_bindings', {
      type: 'app', relationships: { service_instance: { data: { guid: a.instance } }, app: { data: { guid: ownApp.body.guid } } },
    });
    expect(stolen.status).toBe(422);
    expect(errorDetail(stolen)).toBe(`The service instance could not be found: ${a.instance}`);
    const intoA = await b.post('/v3/service_instances', {
      type: 'managed', name: 'intruder', relationships: { space: { data: { guid: spaceA } }, service_plan: { data: { guid: planGuid } } },
    });
    expect(intoA.status).toBe(422);
    expect(errorDetail(intoA)).toBe(INVALID_SPACE);
    expect((await b.post('/v3/apps', { name: 'intruder', command: 'run', relationships: { space: { data: { guid: spaceA } } } })).status).toBe(422);
    expect(harness.cell.calls.filter((c) => c.op === 'desire')).toEqual([]);

    // Space A's developer and the admin read the credentials.
    for (const client of [developerA.client, harness.client(harness.token)]) {
      const own = await client.get(`/v3/service_credential_bindings/${a.binding}/details`);
      expect(own.status).toBe(200);
      expect(own.body.credentials).toMatchObject({ password: CREDENTIAL_SECRET });
      expect(JSON.stringify((await client.get(`/v3/apps/${a.app}/env`)).body.system_env_json)).toContain(CREDENTIAL_SECRET);
    }
  });

  test('a space developer creates instances, apps and bindings in their own space, and sees their jobs', async () => {
    const b = await provisionAndBind(developerB.client, spaceB, 'b');
    expect(((await developerB.client.get('/v3/service_instances')).body.resources as Body[]).map((i) => i.guid)).toEqual([b.instance]);
    expect((await developerB.client.post(`/v3/apps/${b.app}/actions/start`)).status).toBe(200);
    expect(harness.cell.lastDesired(b.app)?.env.VCAP_SERVICES).toContain(CREDENTIAL_SECRET);
    const deleting = await developerB.client.delete(`/v3/service_credential_bindings/${b.binding}`);
    expect(deleting.status).toBe(202);
    // A job is its starter's to follow: the other developer cannot see it.
    const jobPath = new URL(deleting.headers.location!).pathname;
    expect((await developerB.client.get(jobPath)).status).toBe(200);
    expect((await developerA.client.get(jobPath)).status).toBe(404);
    expect((await harness.waitForJob(deleting.headers.location)).state).toBe('COMPLETE');
  });

  test('a space developer cannot register, see or change brokers; the admin can', async () => {
    const body = { name: 'mine', url: broker.url, authentication: { type: 'basic', credentials: { username: 'u', password: 'p' } } };
    const refused = await developerA.client.post('/v3/service_brokers', body);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ errors: [{ code: 10003, title: 'CF-NotAuthorized', detail: 'You are not authorized to perform the requested action' }] });
    const brokerGuid = String(((await harness.get('/v3/service_brokers?names=db')).body.resources as Body[])[0]!.guid);
    expect((await developerA.client.get('/v3/service_brokers')).body.resources).toEqual([]);
    expect((await developerA.client.get(`/v3/service_brokers/${brokerGuid}`)).status).toBe(404);
    expect((await developerA.client.patch(`/v3/service_brokers/${brokerGuid}`, { name: 'renamed' })).status).toBe(404);
    expect((await developerA.client.delete(`/v3/service_brokers/${brokerGuid}`)).status).toBe(404);
    expect(((await harness.get('/v3/service_brokers')).body.resources as Body[]).map((b) => b.name)).toEqual(['db']);

    const volumes = await startTestBroker({ catalog: volumeCatalog(), broker: new VolumeBroker() });
    try {
      const registered = await harness.post('/v3/service_brokers', { ...body, url: volumes.url, authentication: { type: 'basic', credentials: BROKER_CREDENTIALS } });
      expect(registered.status).toBe(202);
      expect((await harness.waitForJob(registered.headers.location)).state).toBe('COMPLETE');
    } finally {
      await volumes.stop();
    }
  });

  test('a space developer sees enabled plans and cannot change service access; disabled plans are the admin\'s to see', async () => {
    const visible = await developerA.client.get(`/v3/service_plans/${planGuid}`);
    expect(visible.status).toBe(200);
    expect((await developerA.client.get(`/v3/service_plans/${planGuid}/visibility`)).body).toEqual({ type: 'public' });
    const change = await developerA.client.post(`/v3/service_plans/${planGuid}/visibility`, { type: 'admin' });
    expect(change.status).toBe(403);
    expect((await harness.get(`/v3/service_plans/${planGuid}/visibility`)).body).toEqual({ type: 'public' });

    expect((await harness.post(`/v3/service_plans/${planGuid}/visibility`, { type: 'admin' })).status).toBe(200);
    expect((await developerA.client.get(`/v3/service_plans/${planGuid}`)).status).toBe(404);
    // Creating an instance of it: the same refusal as for a plan that does not exist, without its name.
    const refused = await developerA.client.post('/v3/service_instances', {
      type: 'managed', name: 'sneaky', relationships: { space: { data: { guid: spaceA } }, service_plan: { data: { guid: planGuid } } },
    });
    expect(refused.status).toBe(422);
    expect(errorDetail(refused)).toBe('Invalid service plan. Ensure that the service plan exists, is available, and you have access to it.');
    expect(((await developerA.client.get('/v3/service_plans?service_offering_names=testdb')).body.resources as Body[]).map((p) => p.name)).not.toContain('small');
    // An offering stays visible while one of its plans is.
    expect(((await developerA.client.get('/v3/service_offerings')).body.resources as Body[]).map((o) => o.name)).toContain('testdb');
    for (const plan of (await harness.get('/v3/service_plans?service_offering_names=testdb')).body.resources as Body[]) {
      expect((await harness.post(`/v3/service_plans/${String(plan.guid)}/visibility`, { type: 'admin' })).status).toBe(200);
    }
    const offerings = (await developerA.client.get('/v3/service_offerings')).body.resources as Body[];
    expect(offerings.map((o) => o.name)).not.toContain('testdb');
    expect(((await harness.get('/v3/service_offerings')).body.resources as Body[]).map((o) => o.name)).toContain('testdb');
  });

  test('only admins create spaces and users and assign roles', async () => {
    const organization = String(((await developerA.client.get('/v3/organizations')).body.resources as Body[])[0]!.guid);
    const space = await developerA.client.post('/v3/spaces', { name: 'mine', relationships: { organization: { data: { guid: organization } } } });
    expect(space.status).toBe(403);
    expect((await developerA.client.post('/v3/users', { username: 'eve', password: 'eve-password-42', admin: true })).status).toBe(403);
    const role = await developerA.client.post('/v3/roles', { type: 'space_developer', relationships: { user: { data: { guid: developerA.guid } }, space: { data: { guid: spaceA } } } });
    expect(role.status).toBe(403);
    const intoB = await developerA.client.post('/v3/roles', { type: 'space_developer', relationships: { user: { data: { guid: developerA.guid } }, space: { data: { guid: spaceB } } } });
    expect(intoB.status).toBe(422);
    expect(errorDetail(intoB)).toBe(INVALID_SPACE);
    expect((await harness.get('/v3/users?usernames=eve')).body.resources).toEqual([]);
    expect((await harness.get(`/v3/roles?user_guids=${developerA.guid}&space_guids=${spaceB}`)).body.resources).toEqual([]);
    expect((await harness.get('/v3/spaces?names=mine')).body.resources).toEqual([]);
  });

  test('role rules: the organization first, no duplicates, known users; removing the role removes the access', async () => {
    const frank = await harness.createUser('frank', 'frank-password-42');
    const bySpace = (type: string) => ({ type, relationships: { user: { data: { username: 'frank' } }, space: { data: { guid: spaceA } } } });
    const withoutOrganization = await harness.post('/v3/roles', bySpace('space_developer'));
    expect(withoutOrganization.status).toBe(422);
    expect(errorDetail(withoutOrganization)).toBe("Users cannot be assigned roles in a space if they do not have a role in that space's organization.");
    expect(errorDetail(await harness.post('/v3/roles', bySpace('space_manager')))).toContain("'type' must be one of 'organization_user', 'space_developer'");
    const unknown = await harness.post('/v3/roles', { type: 'space_developer', relationships: { user: { data: { guid: 'nobody' } }, space: { data: { guid: spaceA } } } });
    expect(errorDetail(unknown)).toBe('Invalid user. Ensure that the user exists and you have access to it.');

    await harness.makeSpaceDeveloper(frank, spaceA);
    const again = await harness.post('/v3/roles', bySpace('space_developer'));
    expect(again.status).toBe(422);
    expect(errorDetail(again)).toBe("User 'frank' already has 'space_developer' role in space 'dev'.");

    const a = await provisionAndBind(developerA.client, spaceA, 'a');
    const frankClient = harness.client(await harness.login('frank', 'frank-password-42'));
    expect((await frankClient.get(`/v3/service_credential_bindings/${a.binding}/details`)).status).toBe(200);
    const frankCreate = await frankClient.post('/v3/service_instances', {
      type: 'managed', name: 'frank-db', relationships: { space: { data: { guid: spaceA } }, service_plan: { data: { guid: planGuid } } },
    });
    expect(frankCreate.status).toBe(202);
    const frankJob = new URL(String(frankCreate.headers.location)).pathname;
    expect((await frankClient.get(frankJob)).status).toBe(200);

    const roles = (await harness.get(`/v3/roles?user_guids=${frank}`)).body.resources as Body[];
    const organizationRole = roles.find((r) => r.type === 'organization_user')!;
    const spaceRole = roles.find((r) => r.type === 'space_developer')!;
    expect(spaceRole).toMatchObject({ relationships: { user: { data: { guid: frank } }, space: { data: { guid: spaceA } }, organization: { data: null } } });
    const early = await harness.delete(`/v3/roles/${String(organizationRole.guid)}`);
    expect(early.status).toBe(422);
    expect((await harness.delete(`/v3/roles/${String(spaceRole.guid)}`)).status).toBe(204);
    expect((await frankClient.get(`/v3/service_credential_bindings/${a.binding}/details`)).status).toBe(404);
    // Nor how the operations they started in the space went.
    expect((await frankClient.get(frankJob)).status).toBe(404);
    expect((await frankClient.get('/v3/spaces')).body.resources).toEqual([]);
    // An organization member without a space role sees the organization and its members, nothing in its spaces.
    expect(((await frankClient.get('/v3/organizations')).body.resources as Body[]).map((o) => o.name)).toEqual(['osbkit-org']);
    expect(((await frankClient.get('/v3/users')).body.resources as Body[]).map((u) => u.username).sort()).toEqual(['dev-a', 'dev-b', 'frank']);
    expect((await harness.delete(`/v3/roles/${String(organizationRole.guid)}`)).status).toBe(204);
    expect((await frankClient.get('/v3/organizations')).body.resources).toEqual([]);
    expect(((await frankClient.get('/v3/users')).body.resources as Body[]).map((u) => u.username)).toEqual(['frank']);
  });

  test('space names are unique in their organization', async () => {
    const organization = String(((await harness.get('/v3/organizations')).body.resources as Body[])[0]!.guid);
    const again = await harness.post('/v3/spaces', { name: 'space-b', relationships: { organization: { data: { guid: organization } } } });
    expect(again.status).toBe(422);
    expect(errorDetail(again)).toBe('Name must be unique per organization');
  });
});
