import { createServer, type Server } from 'node:http';
import pino from 'pino';
import {
  createBroker, OsbClient, OsbMalformedResponseError, OsbPollingTimeoutError, OsbResponseError, OsbTimeoutError,
  OsbTransportError, type BrokerApp,
} from '../../../sdk';
import { PLAN_ASYNC, PLAN_SMALL, SERVICE_ID, testCatalog } from '../../support/fixtures';
import { RecordingBroker } from '../../support/trivial-broker';
import { freePort } from '../../support/process';

/** The SDK's client against the SDK's server, over real HTTP: every endpoint and every error kind. */
describe('OsbClient against a broker built on the SDK', () => {
  let app: BrokerApp;
  let server: Server;
  let client: OsbClient;
  let broker: RecordingBroker;
  const seen: Array<{ identity?: string; requestId?: string; version?: string }> = [];

  beforeAll(async () => {
    broker = new RecordingBroker();
    broker.asyncSteps = 3;
    app = createBroker({ catalog: testCatalog(), broker, auth: { username: 'u', password: 'p' }, logger: pino({ level: 'silent' }), engine: { stepIntervalMs: 20 } });
    await app.start();
    server = createServer((req, res) => {
      seen.push({
        identity: req.headers['x-broker-api-originating-identity'] as string | undefined,
        requestId: req.headers['x-broker-api-request-identity'] as string | undefined,
        version: req.headers['x-broker-api-version'] as string | undefined,
      });
      app.handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    client = new OsbClient({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, username: 'u', password: 'p', timeoutMs: 5000 });
  });

  afterAll(async () => {
    server.close();
    await app.close();
  });

  const provisionBody = { service_id: SERVICE_ID, plan_id: PLAN_SMALL, organization_guid: 'org', space_guid: 'space' };

  test('every endpoint, with identity headers', async () => {
    const catalog = await client.getCatalog();
    expect(catalog.body.services.map((s) => s.id)).toContain(SERVICE_ID);

    const identity = { platform: 'cloudfoundry', value: { user_id: 'alice' } };
    const created = await client.provision('c-1', provisionBody, { identity, requestId: 'req-123' });
    expect(created).toMatchObject({ status: 201, async: false });
    expect(seen.at(-1)).toMatchObject({ requestId: 'req-123', version: '2.17' });
    expect(Buffer.from(seen.at(-1)!.identity!.split(' ')[1]!, 'base64').toString()).toBe('{"user_id":"alice"}');

    const repeat = await client.provision('c-1', provisionBody);
    expect(repeat.status).toBe(200);
    expect((await client.fetchInstance('c-1')).body).toMatchObject({ service_id: SERVICE_ID, plan_id: PLAN_SMALL });
    expect((await client.update('c-1', { service_id: SERVICE_ID, parameters: { size: 2 } })).status).toBe(200);

    const bound = await client.bind('c-1', 'b-1', { service_id: SERVICE_ID, plan_id: PLAN_SMALL, bind_resource: { app_guid: 'app' } });
    expect(bound.status).toBe(201);
    expect(bound.body.credentials).toMatchObject({ username: 'u-b-1' });
    expect((await client.fetchBinding('c-1', 'b-1')).body.credentials).toEqual(bound.body.credentials);
    expect((await client.bindingLastOperation('c-1', 'b-1')).body.state).toBe('succeeded');

    expect(await client.unbind('c-1', 'b-1', { service_id: SERVICE_ID, plan_id: PLAN_SMALL })).toMatchObject({ status: 200, gone: false });
    expect(await client.unbind('c-1', 'b-1', { service_id: SERVICE_ID, plan_id: PLAN_SMALL })).toMatchObject({ status: 410, gone: true });
    expect(await client.deprovision('c-1', { service_id: SERVICE_ID, plan_id: PLAN_SMALL })).toMatchObject({ status: 200, gone: false });
    expect(await client.deprovision('c-1', { service_id: SERVICE_ID, plan_id: PLAN_SMALL })).toMatchObject({ status: 410, gone: true });
  });

  test('async operations: 202 with an operation, then waitForOperation until done', async () => {
    const accepted = await client.provision('c-async', { ...provisionBody, plan_id: PLAN_ASYNC }, { acceptsIncomplete: true });
    expect(accepted).toMatchObject({ status: 202, async: true });
    const polls: string[] = [];
    const done = await client.waitForOperation(
      { instanceId: 'c-async' },
      { operation: accepted.operation!, service_id: SERVICE_ID, plan_id: PLAN_ASYNC, defaultIntervalMs: 10, maxPollingSeconds: 30, onPoll: (a) => polls.push(a.body.state) },
    );
    expect(done.body.state).toBe('succeeded');
    expect(polls.at(-1)).toBe('succeeded');
    // The broker's Retry-After (1 s, the whole-second ceiling of its 20 ms hint) paces the polls, not the 10 ms default.
    expect(polls.length).toBeLessThanOrEqual(3);

    const deleting = await client.deprovision('c-async', { service_id: SERVICE_ID, plan_id: PLAN_ASYNC }, { acceptsIncomplete: true });
    const deleted = await client.waitForOperation({ instanceId: 'c-async' }, { ...(deleting.operation ? { operation: deleting.operation } : {}), isDelete: true, maxPollingSeconds: 30 });
    expect(deleted.body.state).toBe('succeeded');
  });

  test('typed errors carry the status and the OSB error code', async () => {
    const asyncRequired = await client.provision('c-sync', { ...provisionBody, plan_id: PLAN_ASYNC }).catch((e: unknown) => e);
    expect(asyncRequired).toBeInstanceOf(OsbResponseError);
    expect(asyncRequired).toMatchObject({ status: 422, code: 'AsyncRequired' });

    await client.provision('c-conflict', provisionBody);
    const conflict = await client.provision('c-conflict', { ...provisionBody, parameters: { size: 9 } }).catch((e: unknown) => e);
    expect(conflict).toMatchObject({ status: 409 });
    const badParams = await client.provision('c-bad', { ...provisionBody, parameters: { size: 99 } }).catch((e: unknown) => e);
    expect((badParams as OsbResponseError).description).toMatch(/\/size/);

    const unauthorized = await new OsbClient({ url: (client as unknown as { base: string }).base, username: 'u', password: 'wrong' }).getCatalog().catch((e: unknown) => e);
    expect(unauthorized).toMatchObject({ status: 401 });
  });

  test('waitForOperation gives up after the maximum polling duration', async () => {
    broker.asyncSteps = 1000;
    const accepted = await client.provision('c-slow', { ...provisionBody, plan_id: PLAN_ASYNC }, { acceptsIncomplete: true });
    const outcome = await client.waitForOperation({ instanceId: 'c-slow' }, { operation: accepted.operation!, maxPollingSeconds: 1 }).catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(OsbPollingTimeoutError);
    broker.asyncSteps = 3;
  });

  describe('transport failures, which decide orphan mitigation', () => {
    test('a closed port is a transport error', async () => {
      const port = await freePort();
      const error = await new OsbClient({ url: `http://127.0.0.1:${port}` }).getCatalog().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OsbTransportError);
    });

    test('a broker that never answers is a timeout', async () => {
      const hanging = createServer(() => undefined);
      await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', () => resolve()));
      const address = hanging.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const error = await new OsbClient({ url, timeoutMs: 200 }).provision('x', provisionBody).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OsbTimeoutError);
      hanging.closeAllConnections();
      hanging.close();
    });

    test('a 201 that is not JSON is malformed', async () => {
      const broken = createServer((_req, res) => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end('{not json');
      });
      await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', () => resolve()));
      const address = broken.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const error = await new OsbClient({ url }).provision('x', provisionBody).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OsbMalformedResponseError);
      expect(error).toMatchObject({ status: 201 });
      broken.close();
    });
  });
});
