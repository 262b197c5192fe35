import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import request, { type Response } from 'supertest';
import { BROKER_TEXT_LIMIT } from '../../../sdk/client';
import { DEFAULT_JSON_DEPTH_LIMIT } from '../../../sdk/json';
import { createController } from '../../../platform/controller';
import { FakeCell } from './support/fake-cell';
import { DatabaseBroker, databaseCatalog } from './support/brokers';
import { Harness, errorDetail } from './support/harness';
import { BROKER_CREDENTIALS, startTestBroker, type TestBroker } from './support/test-broker';
import { closeRawServers, startRawServer } from '../../support/raw-server';

/**
 * What a broker URL can make the controller do: it reaches only what the allow-list lets it,
 * follows no redirect, reads no more than the limits, quotes no body that is not an OSB
 * error's short description, and refuses request bodies nested deeper than its limit
 * before any broker is asked anything.
 */

jest.setTimeout(30_000);

type Body = Record<string, unknown>;
afterEach(closeRawServers);

const basic = { type: 'basic', credentials: BROKER_CREDENTIALS };

async function registerFailing(harness: Harness, url: string): Promise<{ title: string; detail: string }> {
  const res = await harness.post('/v3/service_brokers', { name: 'suspect', url, authentication: basic });
  expect(res.status).toBe(202);
  const job = await harness.waitForJob(res.headers.location);
  expect(job.state).toBe('FAILED');
  expect((await harness.get('/v3/service_brokers')).body.resources).toEqual([]);
  return job.errors[0]!;
}

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202e]/;

describe('broker URL allow-list', () => {
  let broker: TestBroker;
  let harness: Harness | undefined;

  beforeEach(async () => {
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
  });

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
    await broker.stop();
  });

  test('a URL outside the list is refused with 422, and nothing is contacted', async () => {
    const outsider = await startRawServer((_req, res) => res.end('{"services":[]}'));
    harness = await Harness.start({ brokerUrlAllowList: [new URL(broker.url).host] });
    const refused = await harness.post('/v3/service_brokers', { name: 'other', url: outsider.url, authentication: basic });
    expect(refused.status).toBe(422);
    expect(errorDetail(refused)).toContain("not allowed by the controller's broker URL allow-list");
    expect(outsider.requests).toEqual([]);
    expect((await harness.get('/v3/service_brokers')).body.resources).toEqual([]);

    const { job, guid } = await harness.registerBroker('db', broker.url);
    expect(job.state).toBe('COMPLETE');
    const moved = await harness.patch(`/v3/service_brokers/${guid}`, { url: outsider.url });
    expect(moved.status).toBe(422);
    expect(errorDetail(moved)).toContain('allow-list');
    expect(outsider.requests).toEqual([]);
    expect((await harness.get(`/v3/service_brokers/${guid}`)).body.url).toBe(broker.url);
  });

  test('URL prefixes end at a path segment', async () => {
    harness = await Harness.start({ brokerUrlAllowList: [`${broker.url}/osb`] });
    for (const url of [broker.url, `${broker.url}/osbx`, `${broker.url}/other`]) {
      const res = await harness.post('/v3/service_brokers', { name: 'x', url, authentication: basic });
      expect([url, res.status]).toEqual([url, 422]);
    }
    const allowed = await harness.post('/v3/service_brokers', { name: 'x', url: `${broker.url}/osb/v1`, authentication: basic });
    expect(allowed.status).toBe(202);
  });

  test('brokers registered before the list was set are not called once it excludes them', async () => {
    harness = await Harness.start();
    await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    await harness.restart({ brokerUrlAllowList: ['brokers.example.test'] });
    const before = broker.requests.length;
    const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
    expect(created.job.state).toBe('FAILED');
    expect(created.job.errors[0]!.detail).toContain('allow-list');
    expect(broker.requests.length).toBe(before);
  });

  test('an entry that is neither host[:port] nor an http(s) URL stops the controller from starting', () => {
    const parent = mkdtempSync(join(tmpdir(), 'osbkit-allow-list-'));
    try {
      const options = { dataDir: join(parent, 'data'), logger: pino({ level: 'silent' }), cell: new FakeCell() };
      expect(() => createController({ ...options, brokerUrlAllowList: ['ftp://x.example'] })).toThrow(/brokerUrlAllowList.*ftp:\/\/x\.example/);
      expect(() => createController({ ...options, brokerUrlAllowList: ['host:port'] })).toThrow(/brokerUrlAllowList.*host:port/);
      // Refused before anything was made.
      expect(existsSync(options.dataDir)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('what registration reaches and reads', () => {
  let harness: Harness;

  afterEach(async () => {
    await harness.close();
  });

  test('a redirect is not followed: the job fails naming it, and its target hears nothing', async () => {
    harness = await Harness.start();
    const target = await startRawServer((_req, res) => res.end('{"services":[]}'));
    const redirecting = await startRawServer((_req, res) => {
      res.writeHead(307, { location: `${target.url}/v2/catalog` });
      res.end();
    });
    const error = await registerFailing(harness, redirecting.url);
    expect(error.title).toBe('CF-ServiceBrokerBadResponse');
    expect(error.detail).toContain('redirect (status 307)');
    expect(target.requests).toEqual([]);
  });

  test('an error body that is not an OSB error is never quoted', async () => {
    harness = await Harness.start();
    const internal = await startRawServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('INTERNAL-SECRET-VALUE=hunter2');
    });
    const error = await registerFailing(harness, internal.url);
    expect(error.detail).toContain('status 500');
    expect(error.detail).not.toContain('hunter2');
  });

  test("an OSB error's description is quoted cleaned and short", async () => {
    harness = await Harness.start();
    const noisy = await startRawServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ description: `down\nfor\u0007maintenance\u202e${'z'.repeat(10_000)}`, token: 'tok-3x9' }));
    });
    const error = await registerFailing(harness, noisy.url);
    expect(error.detail).toContain('down for maintenance');
    expect(error.detail).not.toMatch(UNPRINTABLE);
    expect(error.detail).not.toContain('tok-3x9');
    expect(error.detail.length).toBeLessThan(BROKER_TEXT_LIMIT + 150);
  });

  test('a catalog over the limit fails the registration, and reading stopped at the limit', async () => {
    const limit = 256 * 1024;
    const fullSize = 100 * 1024 * 1024;
    harness = await Harness.start({ brokerCatalogLimitBytes: limit });
    let resolveWritten!: (bytes: number) => void;
    const written = new Promise<number>((resolve) => (resolveWritten = resolve));
    const huge = await startRawServer((_req, res) => {
      const piece = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      res.on('close', () => resolveWritten(sent));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"services":[');
      const pump = (): void => {
        while (sent < fullSize && !res.destroyed) {
          sent += piece.length;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end(']}');
      };
      pump();
    });
    const error = await registerFailing(harness, huge.url);
    expect(error.title).toBe('CF-ServiceBrokerBadResponse');
    expect(error.detail).toContain(`larger than the limit of ${limit} bytes`);
    expect(await written).toBeLessThan(fullSize / 5);
  });

  test('a catalog nested deeper than the limit fails the registration naming the limit', async () => {
    harness = await Harness.start();
    const deep = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"services":[],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    });
    const error = await registerFailing(harness, deep.url);
    expect(error.detail).toContain(`${DEFAULT_JSON_DEPTH_LIMIT} levels`);
  });
});

describe('broker answers to instance operations', () => {
  let harness: Harness;
  let broker: TestBroker;
  let plan: string;

  beforeEach(async () => {
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
    harness = await Harness.start({ brokerAnswerLimitBytes: 64 * 1024 });
    await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    plan = await harness.planGuid('testdb', 'small');
  });

  afterEach(async () => {
    await harness.close();
    await broker.stop();
  });

  /** A failed create's job error: what the broker said, then the platform's fixed advice on what happens next. */
  function quotedPart(detail: string): string {
    const advice = detail.indexOf(' The service instance stays listed with its creation failed.');
    expect(advice).toBeGreaterThan(0);
    return detail.slice(0, advice);
  }

  test('a provision failure quotes the description cleaned and short', async () => {
    broker.intercept = (req, res) => {
      if (req.method !== 'PUT') return false;
      res.status(400).json({ error: 'Bad\nThing', description: `no\r\nway\u001b[2J${'q'.repeat(5_000)}`, dump: 'dump-77x' });
      return true;
    };
    const created = await harness.createInstance('db1', plan);
    const detail = created.job.errors[0]!.detail;
    expect(detail).toContain('no way');
    expect(detail).not.toMatch(UNPRINTABLE);
    expect(detail).not.toContain('dump-77x');
    expect(quotedPart(detail).length).toBeLessThan(BROKER_TEXT_LIMIT + 150);
    const lastOperation = (await harness.instance(created.guid)).last_operation as Body;
    expect(String(lastOperation.description)).not.toMatch(UNPRINTABLE);
  });

  test('last_operation descriptions, in progress and failed, are cleaned and short', async () => {
    let polls = 0;
    const seen: string[] = [];
    broker.intercept = async (req, res) => {
      if (req.method === 'PUT') {
        res.status(202).json({ operation: 'op-1' });
        return true;
      }
      if (req.method === 'GET' && req.path.endsWith('/last_operation')) {
        polls += 1;
        if (polls === 1) res.json({ state: 'in progress', description: `step\none\u0000${'p'.repeat(3_000)}` });
        else res.json({ state: 'failed', description: `broke\tdown\u2028${'f'.repeat(3_000)}` });
        return true;
      }
      return false;
    };
    const response = await harness.post('/v3/service_instances', {
      type: 'managed', name: 'db2',
      relationships: { space: { data: { guid: await harness.spaceGuid() } }, service_plan: { data: { guid: plan } } },
    });
    await harness.eventually(async () => {
      const guid = ((await harness.get('/v3/service_instances?names=db2')).body.resources as Body[])[0]?.guid;
      if (!guid) return undefined;
      const description = String(((await harness.instance(String(guid))).last_operation as Body).description);
      if (description.startsWith('step one')) seen.push(description);
      return polls >= 1 && seen.length > 0 ? true : undefined;
    }, 'the in-progress description');
    const job = await harness.waitForJob(response.headers.location);
    expect(job.state).toBe('FAILED');
    expect(seen[0]!.length).toBeLessThanOrEqual(BROKER_TEXT_LIMIT);
    expect(seen[0]).not.toMatch(UNPRINTABLE);
    const detail = job.errors[0]!.detail;
    expect(detail).toContain('broke down');
    expect(detail).not.toMatch(UNPRINTABLE);
    expect(quotedPart(detail).length).toBeLessThan(BROKER_TEXT_LIMIT + 150);
  });

  test('a provision answer over brokerAnswerLimitBytes fails the instance naming the limit', async () => {
    broker.intercept = (req, res) => {
      if (req.method !== 'PUT') return false;
      res.status(201).json({ dashboard_url: `https://dash.example/${'d'.repeat(100 * 1024)}` });
      return true;
    };
    const created = await harness.createInstance('db3', plan);
    expect(created.job.state).toBe('FAILED');
    expect(created.job.errors[0]!.detail).toContain(`larger than the limit of ${64 * 1024} bytes`);
  });
});

/**
 * POSTs `text` as a JSON body through the harness (so with its credentials): supertest's own
 * JSON.stringify cannot serialise 100,000 levels.
 */
async function postJsonText(harness: Harness, path: string, text: string): Promise<Response> {
  const pending = harness.post(path, text);
  if (!(pending instanceof request.Test)) throw new Error('the harness no longer hands back a supertest request');
  return pending.set('content-type', 'application/json');
}

describe('request bodies nested too deep', () => {
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

  test('parameters nested 100,000 deep: 400 naming the limit, nothing sent, no orphan mitigation', async () => {
    const levels = 100_000;
    const parameters = `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
    const body = JSON.stringify({
      type: 'managed',
      name: 'deep',
      relationships: { space: { data: { guid: await harness.spaceGuid() } }, service_plan: { data: { guid: await harness.planGuid('testdb', 'small') } } },
      parameters: '__PARAMETERS__',
    }).replace('"__PARAMETERS__"', parameters);
    const before = broker.requests.length;
    const res = await postJsonText(harness, '/v3/service_instances', body);
    expect(res.status).toBe(400);
    expect(errorDetail(res)).toContain(`${DEFAULT_JSON_DEPTH_LIMIT} levels`);
    expect(res.body.errors[0].title).toBe('CF-MessageParseError');
    // Give a mitigation that should not exist time to show itself.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(broker.requests.length).toBe(before);
    expect((await harness.get('/v3/service_instances')).body.resources).toEqual([]);
    expect(harness.logs()).not.toContain('orphan mitigation');
  });

  test('the limit is configurable', async () => {
    await harness.restart({ jsonDepthLimit: 3 });
    const plan = await harness.planGuid('testdb', 'small');
    // The body, relationships, space, data: four levels.
    const res = await harness.createInstance('shallow', plan);
    expect(res.status).toBe(400);
    expect(errorDetail(res.response)).toContain('3 levels');
  });
});
