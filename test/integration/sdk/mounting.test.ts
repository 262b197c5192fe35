import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { bindBody, closeBrokers, CREDENTIALS, Osb, paths, provisionBody, startBroker } from '../../support/osb-harness';

/** The broker inside someone else's HTTP server: express, and plain node:http with a fallback. */

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await closeBrokers();
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('mounted in express', () => {
  it('serves OSB under a prefix, even after express.json() consumed the body, and leaves other paths to express', async () => {
    const t = startBroker();
    const outer = express();
    outer.use(express.json());
    outer.use('/osb', t.app.router());
    outer.get('/health', (_req, res) => {
      res.json({ ok: true });
    });
    const url = await serve(outer);
    const osb = new Osb(`${url}/osb`);

    expect((await osb.get(paths.catalog)).status).toBe(200);
    const provisioned = await osb.put(paths.instance('inst-x'), provisionBody());
    expect(provisioned.status).toBe(201);
    expect(t.broker.received.provision[0]!.request.parameters).toEqual({ size: 3, name: 'orders' });
    expect((await osb.put(paths.binding('inst-x', 'bind-1'), bindBody())).status).toBe(201);

    expect((await request(url).get('/health')).body).toEqual({ ok: true });
    // Unknown paths under the prefix fall through to express's own 404.
    const unknown = await request(url).get('/osb/not-osb').auth(CREDENTIALS.username, CREDENTIALS.password);
    expect(unknown.status).toBe(404);
    expect(unknown.text).toMatch(/Cannot GET \/osb\/not-osb/);
  });

  it('runs the routes a user adds to the router it returns, after the OSB endpoints', async () => {
    const t = startBroker();
    const router = t.app.router();
    router.get('/status', (_req, res) => {
      res.json({ mounted: true });
    });
    const outer = express();
    outer.use('/osb', router);
    const url = await serve(outer);

    expect((await new Osb(`${url}/osb`).get(paths.catalog)).status).toBe(200);
    expect((await request(url).get('/osb/status')).body).toEqual({ mounted: true });
    expect((await request(url).get('/osb/elsewhere')).status).toBe(404);
  });

  it('without express.json() the broker reads the body itself and refuses bad JSON', async () => {
    const t = startBroker();
    const outer = express();
    outer.use('/osb', t.app.router());
    const url = await serve(outer);
    const res = await new Osb(`${url}/osb`).put(paths.instance('inst-x')).set('Content-Type', 'application/json').send('{"service_id":');
    expect(res.status).toBe(400);
    expect(res.body.description).toMatch(/not valid JSON/);
    expect(t.broker.calls).toEqual([]);
  });
});

describe('app.handle in a plain node:http server', () => {
  it('answers OSB paths and calls next for the rest', async () => {
    const t = startBroker();
    const url = await serve((req, res) =>
      t.app.handle(req, res, () => {
        res.writeHead(418, { 'content-type': 'text/plain' });
        res.end('not a broker path');
      }),
    );
    expect((await new Osb(url).get(paths.catalog)).status).toBe(200);
    const other = await request(url).get('/elsewhere');
    expect(other.status).toBe(418);
    expect(other.text).toBe('not a broker path');
  });

  it('app.handler answers 404 and 405 itself', async () => {
    const t = startBroker();
    const osb = new Osb(await serve(t.app.handler));
    const missing = await osb.get('/v3/catalog');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'NotFound', description: 'No such endpoint: GET /v3/catalog.' });
    const wrongMethod = await osb.patch(paths.catalog, {});
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body).toEqual({ error: 'MethodNotAllowed', description: 'PATCH is not allowed on /v2/catalog.' });
  });
});
