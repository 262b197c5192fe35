import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { DEFAULT_APP_GID, DEFAULT_APP_UID } from '../../../platform/cell/cell';
import { startCell, type RunningCell } from '../../../platform/cell/main';
import { CellError, HttpCellApi, createController, type Controller } from '../../../platform/controller';
import { CaptureLogger } from '../cell/helpers/capture-logger';
import { FakeVolumeDrivers } from '../cell/helpers/fake-drivers';
import { tarOfFiles } from '../../support/tar-archive';
import { CREDENTIAL_SECRET, DatabaseBroker, databaseCatalog } from './support/brokers';
import { ADMIN } from './support/harness';
import { deadUrl, startTestBroker, type TestBroker } from './support/test-broker';

jest.setTimeout(60_000);

type Body = Record<string, unknown>;

const CELL_SECRET = 'a-cell-api-secret-for-this-test-0123456789';

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The controller against a real cell over HTTP (no isolation), through HttpCellApi. */
describe('HttpCellApi with a real cell', () => {
  let root: string;
  let cell: RunningCell;
  let api: HttpCellApi;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'osbkit-controller-cell-'));
    chmodSync(root, 0o755);
    const drivers = new FakeVolumeDrivers(join(root, 'drivers'), { owner: { uid: DEFAULT_APP_UID, gid: DEFAULT_APP_GID } });
    cell = await startCell({ dataDir: join(root, 'cell'), port: 0, drivers, logger: new CaptureLogger(), isolation: 'none', convergeIntervalMs: 200, stopGraceMs: 1000, apiSecret: CELL_SECRET });
    api = new HttpCellApi({ url: cell.url, apiSecret: CELL_SECRET });
  });

  afterAll(async () => {
    await cell?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('health, and nothing known about an unknown app', async () => {
    await expect(api.health()).resolves.toMatchObject({ status: 'ok', isolation: 'none' });
    await expect(api.status('0b3d8c1e-1111-4222-8333-944455556666')).resolves.toEqual([]);
    await expect(api.stop('0b3d8c1e-1111-4222-8333-944455556666')).resolves.toBeUndefined();
  });

  test('a controller without the cell\'s secret is refused: a CellError, and the app is not started', async () => {
    const stranger = new HttpCellApi({ url: cell.url, apiSecret: 'not-the-cell-api-secret-but-long-enough' });
    const guid = '0b3d8c1e-2222-4222-8333-944455556666';
    const error = await stranger.desire(guid, { name: 'x', command: 'sleep 60', env: {}, instances: 1, volumeMounts: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CellError);
    expect((error as CellError).message).toMatch(/the cell answered 401 Unauthorized/);
    expect((error as CellError).message).not.toContain('not-the-cell-api-secret');
    await expect(api.status(guid)).resolves.toEqual([]);
  });

  test('an invalid LRP is a CellError naming the problem', async () => {
    const error = await api.desire('0b3d8c1e-1111-4222-8333-944455556666', { name: 'x', command: 'true', env: { 'BAD-NAME': 'v' }, instances: 1, volumeMounts: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CellError);
    expect((error as CellError).message).toMatch(/the cell answered 4\d\d/);
    expect((error as CellError).message).toContain('BAD-NAME');
  });

  test('an unreachable cell is a CellError', async () => {
    const gone = new HttpCellApi({ url: await deadUrl(), timeoutMs: 2000, apiSecret: CELL_SECRET });
    await expect(gone.status('x')).rejects.toThrow(/the cell cannot be reached/);
  });

  describe('the controller runs a bound app on the cell', () => {
    let controller: Controller;
    let broker: TestBroker;
    let dataDir: string;
    let token: string;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'osbkit-controller-'));
      broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
      controller = createController({ dataDir, logger: pino({ level: 'silent' }), cell: api, autoEnableAccess: true, pollIntervalMs: 50, bootstrapAdmin: ADMIN });
      await controller.start();
      token = String((await request(controller.app).post('/oauth/token').type('form').send({ grant_type: 'password', ...ADMIN })).body.access_token);
    });

    afterAll(async () => {
      await controller.close();
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const http = () => {
      const app = request(controller.app);
      return {
        get: (path: string) => app.get(path).set('Authorization', `Bearer ${token}`),
        post: (path: string) => app.post(path).set('Authorization', `Bearer ${token}`),
      };
    };
    const job = async (location: string | undefined): Promise<Body> => eventually(async () => {
      const body = (await http().get(new URL(location!, 'http://x').pathname)).body as Body;
      return body.state === 'PROCESSING' ? undefined : body;
    }, 'the job');

    test('start: the app sees VCAP_SERVICES; processes and logs come from the cell; stop stops it', async () => {
      const registered = await http().post('/v3/service_brokers').send({ name: 'db', url: broker.url, authentication: { type: 'basic', credentials: { username: 'broker-user', password: 'broker-pass-Zq81xLw' } } });
      expect((await job(registered.headers.location)).state).toBe('COMPLETE');
      const plan = ((await http().get('/v3/service_plans?names=small')).body.resources as Body[])[0]!;
      const space = ((await http().get('/v3/spaces')).body.resources as Body[])[0]!;
      const created = await http().post('/v3/service_instances').send({ type: 'managed', name: 'db1', relationships: { space: { data: { guid: space.guid } }, service_plan: { data: { guid: plan.guid } } } });
      expect((await job(created.headers.location)).state).toBe('COMPLETE');
      const instance = ((await http().get('/v3/service_instances')).body.resources as Body[])[0]!;
      const app = (await http().post('/v3/apps').send({ name: 'printer', command: 'echo "$VCAP_SERVICES"; echo "greeting=$GREETING"; cat bits.txt; while true; do sleep 1; done', env: { GREETING: 'hi' } })).body as Body;
      // The controller's data dir is 0700: the cell reaches the unpacked bits through a descriptor it opened.
      const bitsPackage = (await http().post('/v3/packages').send({ type: 'bits', relationships: { app: { data: { guid: app.guid } } } })).body as Body;
      const uploaded = await request(controller.app).post(`/v3/packages/${String(bitsPackage.guid)}/upload`).set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/x-tar').send(tarOfFiles({ 'bits.txt': 'bits=uploaded\n' }));
      expect(uploaded.body.state).toBe('READY');
      const bound = await http().post('/v3/service_credential_bindings').send({ type: 'app', relationships: { service_instance: { data: { guid: instance.guid } }, app: { data: { guid: app.guid } } } });
      expect((await job(bound.headers.location)).state).toBe('COMPLETE');

      const started = await http().post(`/v3/apps/${String(app.guid)}/actions/start`);
      expect(started.status).toBe(200);
      const running = await eventually(async () => {
        const body = (await http().get(`/v3/apps/${String(app.guid)}/processes`)).body as { resources: Body[] };
        return body.resources[0]?.state === 'RUNNING' ? body.resources : undefined;
      }, 'a running instance');
      expect(running).toHaveLength(1);
      const lines = await eventually(async () => {
        const body = (await http().get(`/v3/apps/${String(app.guid)}/logs?recent=true`)).body as { lines: Array<{ line: string; source: string }> };
        return body.lines.some((l) => l.line.includes('greeting=hi')) && body.lines.some((l) => l.line === 'bits=uploaded') ? body.lines : undefined;
      }, 'the app output');
      const printed = lines.find((l) => l.line.startsWith('{'))!;
      const vcap = JSON.parse(printed.line) as Record<string, Body[]>;
      expect(vcap.testdb![0]).toMatchObject({ instance_name: 'db1', credentials: { password: CREDENTIAL_SECRET } });

      expect((await http().post(`/v3/apps/${String(app.guid)}/actions/stop`)).body.state).toBe('STOPPED');
      await expect(api.status(String(app.guid))).resolves.toEqual([]);
    });
  });
});
