import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startController } from '../../../platform/controller';
import { FakeCell } from './support/fake-cell';
import { CREDENTIAL_SECRET, DatabaseBroker, MOUNT_SECRET, VolumeBroker, databaseCatalog, volumeCatalog } from './support/brokers';
import { ADMIN, Harness } from './support/harness';
import { BROKER_CREDENTIALS, failMode, sleep, startTestBroker, type TestBroker } from './support/test-broker';

jest.setTimeout(40_000);

type Body = Record<string, unknown>;

const PARAMETER_SECRET = 'param-secret-Ur53Kd';
const ENV_SECRET = 'env-secret-Qp09Zx';

/** Reads the database and its WAL: what an attacker with the files would see. */
function databaseBytes(dataDir: string): string {
  return ['controller.db', 'controller.db-wal', 'controller.db-shm']
    .map((file) => join(dataDir, file))
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path).toString('latin1'))
    .join('\n');
}

describe('secrets', () => {
  let harness: Harness;
  let db: TestBroker;
  let volumes: TestBroker;

  beforeAll(async () => {
    db = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
    volumes = await startTestBroker({ catalog: volumeCatalog(), broker: new VolumeBroker() });
    harness = await Harness.start({ orphanMitigationRetryMs: 20 });
    await harness.registerBroker('db', db.url);
    await harness.registerBroker('volumes', volumes.url);
    await harness.enableAccess('testdb');
    await harness.enableAccess('testvolume');
    // Exercise everything that handles a secret, including failures and their mitigation.
    const instance = (await harness.createInstance('db1', await harness.planGuid('testdb', 'small'), { parameters: { admin_password: PARAMETER_SECRET } })).guid;
    const volume = (await harness.createInstance('vol1', await harness.planGuid('testvolume', 'shared'))).guid;
    await harness.createInstance('broken', await harness.planGuid('testdb', 'small'), { parameters: { fail: '500', admin_password: PARAMETER_SECRET } });
    const app = await harness.createApp('web', { env: { API_TOKEN: ENV_SECRET } });
    await harness.bind(app, instance, { parameters: { password: PARAMETER_SECRET } });
    await harness.bind(app, volume);
    await harness.bind(app, instance, { name: 'broken', parameters: { fail: '500' } });
    await harness.post(`/v3/apps/${app}/actions/start`);
    await harness.get(`/v3/apps/${app}/env`);
    await harness.patch(`/v3/service_instances/${instance}`, { parameters: { admin_password: PARAMETER_SECRET } });
    await harness.post('/v3/service_brokers', { name: 'x', url: 'bad url', authentication: { type: 'basic', credentials: { username: 'u', password: BROKER_CREDENTIALS.password } } });
    await sleep(300);
  });

  afterAll(async () => {
    await harness.close();
    await db.stop();
    await volumes.stop();
  });

  test('the secrets really passed through the controller', async () => {
    const app = ((await harness.get('/v3/apps')).body.resources as Body[])[0]!;
    const env = JSON.stringify((await harness.get(`/v3/apps/${String(app.guid)}/env`)).body);
    expect(env).toContain(CREDENTIAL_SECRET);
    expect(env).toContain(ENV_SECRET);
    expect(JSON.stringify(harness.cell.lastDesired(String(app.guid))!.volumeMounts)).toContain(MOUNT_SECRET);
  });

  test('no log line holds a broker password, a credential, a mount secret, a parameter or an env value', () => {
    const logs = harness.logs();
    expect(logs.length).toBeGreaterThan(1000);
    expect(logs).toContain('orphan mitigation');
    for (const secret of [
      BROKER_CREDENTIALS.password,
      Buffer.from(`${BROKER_CREDENTIALS.username}:${BROKER_CREDENTIALS.password}`).toString('base64'),
      CREDENTIAL_SECRET,
      MOUNT_SECRET,
      PARAMETER_SECRET,
      ENV_SECRET,
    ]) {
      expect(logs).not.toContain(secret);
    }
  });

  test('the database holds no secret in clear', async () => {
    await harness.restart();
    const bytes = databaseBytes(harness.dataDir);
    expect(bytes).toContain('testdb');
    for (const secret of [BROKER_CREDENTIALS.password, CREDENTIAL_SECRET, MOUNT_SECRET, PARAMETER_SECRET, ENV_SECRET]) {
      expect(bytes).not.toContain(secret);
    }
  });

  test('the key file is private and 32 bytes', () => {
    const keyFile = join(harness.dataDir, 'controller.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64')).toHaveLength(32);
  });
});

describe('controller restart', () => {
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

  /** Everything the API shows, with the per-request host stripped from links. */
  async function everything(): Promise<string> {
    const apps = (await harness.get('/v3/apps')).body.resources as Body[];
    const bindings = (await harness.get('/v3/service_credential_bindings')).body.resources as Body[];
    const paths = [
      '/v3/organizations', '/v3/spaces', '/v3/service_brokers', '/v3/service_offerings', '/v3/service_plans', '/v3/service_instances',
      '/v3/service_credential_bindings', '/v3/apps',
      ...apps.map((a) => `/v3/apps/${String(a.guid)}/env`),
      ...bindings.map((b) => `/v3/service_credential_bindings/${String(b.guid)}/details`),
    ];
    const bodies = await Promise.all(paths.map(async (path) => JSON.stringify((await harness.get(path)).body)));
    return bodies.join('\n').replace(/http:\/\/127\.0\.0\.1:\d+/g, '');
  }

  test('a new controller on the same data directory keeps everything, and can still talk to the broker', async () => {
    const instance = (await harness.createInstance('db1', await harness.planGuid('testdb', 'small'), { tags: ['t'] })).guid;
    const app = await harness.createApp('web', { env: { A: '1' } });
    const binding = await harness.bind(app, instance, { name: 'b1' });
    const job = (await harness.get(new URL(binding.response.headers.location!, 'http://x').pathname)).body as Body;
    const before = await everything();
    expect(before).toContain(CREDENTIAL_SECRET);

    await harness.restart();
    expect(await everything()).toBe(before);
    expect((await harness.get(`/v3/jobs/${String(job.guid)}`)).body).toMatchObject({ state: 'COMPLETE', operation: 'service_bindings.create' });
    // The stored (encrypted) broker password still opens the broker.
    const another = await harness.createInstance('db2', await harness.planGuid('testdb', 'large'));
    expect(another.job.state).toBe('COMPLETE');
  });

  test('an async create being polled when the controller stops is resumed by the next one, without a second provision', async () => {
    const plan = await harness.planGuid('testdb', 'small');
    const res = await harness.post('/v3/service_instances', {
      type: 'managed', name: 'slow', parameters: { steps: 30 },
      relationships: { space: { data: { guid: await harness.spaceGuid() } }, service_plan: { data: { guid: plan } } },
    });
    const guid = String((res.body as { links: Record<string, { href: string }> }).links.service_instances!.href.split('/').pop());
    await harness.eventually(() => broker.received('GET', `/v2/service_instances/${guid}/last_operation`).length > 0 || undefined, 'the first poll');

    await harness.restart();
    expect(harness.logs()).toContain('resuming a job left unfinished by a previous controller');
    const job = await harness.waitForJob(res.headers.location, 30_000);
    expect(job).toMatchObject({ state: 'COMPLETE', operation: 'service_instance.create' });
    expect(broker.received('PUT', `/v2/service_instances/${guid}`)).toHaveLength(1);
    expect((await harness.instance(guid)).last_operation).toMatchObject({ type: 'create', state: 'succeeded' });
  });

  test('an async update being polled when the controller stops is resumed by the next one and applies what the job asked', async () => {
    let holding = true;
    broker.intercept = (req, res) => {
      if (!holding || req.method !== 'GET' || !req.path.endsWith('/last_operation')) return false;
      res.status(200).json({ state: 'in progress', description: 'held by the test' });
      return true;
    };
    const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
    const res = await harness.patch(`/v3/service_instances/${created.guid}`, {
      name: 'renamed', tags: ['resumed'], parameters: { async: true },
      relationships: { service_plan: { data: { guid: await harness.planGuid('testdb', 'large') } } },
    });
    expect(res.status).toBe(202);
    await harness.eventually(() => broker.received('GET', `/v2/service_instances/${created.guid}/last_operation`).length > 0 || undefined, 'the first poll');

    await harness.restart();
    holding = false;
    const job = await harness.waitForJob(res.headers.location, 30_000);
    expect(job).toMatchObject({ state: 'COMPLETE', operation: 'service_instance.update' });
    expect(broker.received('PATCH', `/v2/service_instances/${created.guid}`)).toHaveLength(1);
    expect(await harness.instance(created.guid)).toMatchObject({
      name: 'renamed', tags: ['resumed'], service_plan_name: 'large', last_operation: { type: 'update', state: 'succeeded' },
    });
  });

  test('a create whose answer was lost in a restart is failed and orphan-mitigated', async () => {
    broker.intercept = async (req, res) => {
      if (failMode(req) !== 'hang') return false;
      await sleep(2500);
      if (!res.destroyed) res.status(201).json({});
      return true;
    };
    const plan = await harness.planGuid('testdb', 'small');
    const res = await harness.post('/v3/service_instances', {
      type: 'managed', name: 'lost', parameters: { fail: 'hang' },
      relationships: { space: { data: { guid: await harness.spaceGuid() } }, service_plan: { data: { guid: plan } } },
    });
    const guid = String((res.body as { links: Record<string, { href: string }> }).links.service_instances!.href.split('/').pop());
    await harness.eventually(() => broker.received('PUT', `/v2/service_instances/${guid}`).length > 0 || undefined, 'the provision request');

    await harness.restart();
    const job = await harness.waitForJob(res.headers.location);
    expect(job.state).toBe('FAILED');
    expect(job.errors[0]!.detail).toContain('The controller restarted before the service broker answered');
    await harness.eventually(() => broker.requests.find((r) => r.method === 'DELETE' && r.path === `/v2/service_instances/${guid}`), 'the mitigating DELETE');
  });

  test('a pending orphan mitigation is resumed by the next controller', async () => {
    let deletesAllowed = false;
    broker.intercept = (req, res) => {
      if (req.method !== 'DELETE' || deletesAllowed) return false;
      res.status(500).json({ description: 'still down' });
      return true;
    };
    const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'), { parameters: { fail: '500' } });
    await harness.eventually(() => broker.received('DELETE', `/v2/service_instances/${created.guid}`).length > 0 || undefined, 'a first attempt');
    await harness.restart();
    deletesAllowed = true;
    await harness.eventually(async () => String(((await harness.instance(created.guid)).last_operation as Body).description).includes('confirmed the deprovision') || undefined, 'the resumed mitigation');
  });
});

describe('startController', () => {
  test('listens on 127.0.0.1, answers over real HTTP, and closes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'osbkit-controller-'));
    const running = await startController({ dataDir, logger: pino({ level: 'silent' }), cell: new FakeCell(), port: 0, bootstrapAdmin: ADMIN });
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${running.url}/v3/spaces`)).status).toBe(401);
      const grant = await fetch(`${running.url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', ...ADMIN }) });
      const { access_token: token } = (await grant.json()) as { access_token: string };
      const spaces = await fetch(`${running.url}/v3/spaces`, { headers: { authorization: `Bearer ${token}` } });
      expect(spaces.status).toBe(200);
      const body = (await spaces.json()) as { resources: Body[] };
      expect(body.resources.map((s) => s.name)).toEqual(['dev']);
      expect((body.resources[0]!.links as Record<string, { href: string }>).self!.href).toMatch(new RegExp(`^${running.url}/v3/spaces/`));
    } finally {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    await expect(fetch(`${running.url}/v3/spaces`)).rejects.toThrow();
  });
});
