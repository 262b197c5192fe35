import { createServer, type Server } from 'node:http';
import pino from 'pino';
import { createBroker, errors, type BrokerApp, type ServiceBroker } from '../../../sdk';
import { freePort, waitFor } from '../../support/process';
import { appDir, startPlatform, type Platform } from '../support';

/**
 * The failures a user meets on the way through the flow, seen from the CLI: each ends with
 * a clear message, and nothing half-made is left at the broker.
 */
jest.setTimeout(180_000);

const SERVICE = 'e2e-svc-0001';
const CATALOG = {
  services: [
    {
      id: SERVICE,
      name: 'e2e-db',
      description: 'A test service for failure cases',
      bindable: true,
      plans: [
        { id: 'e2e-plan-ok', name: 'ok', description: 'provisions' },
        { id: 'e2e-plan-nobind', name: 'nobind', description: 'cannot be bound', bindable: false },
        { id: 'e2e-plan-broken', name: 'broken', description: 'fails with a server error' },
      ],
    },
  ],
};

class FlakyBroker implements ServiceBroker {
  readonly deprovisioned: string[] = [];
  readonly provisioned: string[] = [];
  async provision(request: Parameters<ServiceBroker['provision']>[0]) {
    this.provisioned.push(request.instanceId);
    if (request.plan.id === 'e2e-plan-broken') throw errors.unavailable('The backing database is down.');
    return {};
  }
  async deprovision(request: Parameters<ServiceBroker['deprovision']>[0]) {
    this.deprovisioned.push(request.instance.instanceId);
  }
  async bind() {
    return { credentials: { token: 'secret-token' } };
  }
  async unbind() {}
}

describe('failures through the CLI', () => {
  let platform: Platform;
  let brokerApp: BrokerApp;
  let brokerServer: Server;
  let brokerUrl: string;
  const broker = new FlakyBroker();
  let badCatalogServer: Server;
  let badCatalogUrl: string;

  beforeAll(async () => {
    platform = await startPlatform();
    brokerApp = createBroker({ catalog: CATALOG, broker, auth: { username: 'u', password: 'p' }, logger: pino({ level: 'silent' }) });
    const listening = await brokerApp.listen(0);
    brokerServer = listening.server;
    brokerUrl = listening.url;
    badCatalogServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ services: [{ id: 'dup', name: 'bad', bindable: true, requires: ['teleport'], plans: [{ id: 'dup', name: 'p' }] }] }));
    });
    await new Promise<void>((resolve) => badCatalogServer.listen(0, '127.0.0.1', () => resolve()));
    const address = badCatalogServer.address();
    badCatalogUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await platform?.stop();
    brokerServer?.close();
    await brokerApp?.close();
    badCatalogServer?.close();
  });

  test('a broker that is down cannot be registered, and the message says so', async () => {
    const port = await freePort();
    const result = await platform.cli(['create-service-broker', 'gone', 'u', 'p', `http://127.0.0.1:${port}`]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/FAILED/);
    expect(result.stderr).toMatch(/cannot be reached|unreachable|ECONNREFUSED|refused/i);
    expect(await platform.ok(['service-brokers'])).not.toMatch(/\bgone\b/);
  });

  test('a bad catalog is refused with every problem listed', async () => {
    const result = await platform.cli(['create-service-broker', 'bad', 'u', 'p', badCatalogUrl]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/description/);
    expect(result.stderr).toMatch(/teleport/);
    expect(result.stderr).toMatch(/already used|not unique|duplicate/i);
    expect(await platform.ok(['service-brokers'])).not.toMatch(/\bbad\b/);
  });

  test('a provision the broker fails is reported and mitigated; a non-bindable plan refuses binding', async () => {
    await platform.ok(['create-service-broker', 'flaky', 'u', 'p', brokerUrl]);
    await platform.ok(['enable-service-access', 'e2e-db']);

    const failed = await platform.cli(['create-service', 'e2e-db', 'broken', 'doomed']);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/backing database is down|503|broker/i);
    // Orphan mitigation: the controller deletes what the broker may have half-made.
    await waitFor(() => broker.deprovisioned.length >= 1, 'the orphan mitigation deprovision', 30_000);
    expect(broker.deprovisioned).toEqual([broker.provisioned[broker.provisioned.length - 1]]);

    await platform.ok(['create-service', 'e2e-db', 'nobind', 'unbindable']);
    const app = await platform.ok(['push', 'idle', '--command', 'sleep 3600', '--path', appDir(platform, 'idle', { 'README': 'sleeps\n' }), '--no-start']);
    expect(app).toMatch(/created/);
    const bind = await platform.cli(['bind-service', 'idle', 'unbindable']);
    expect(bind.status).toBe(1);
    expect(bind.stderr).toMatch(/does not allow bindings/i);

    await platform.ok(['delete', 'idle']);
    await platform.ok(['delete-service', 'unbindable']);
  });
});
