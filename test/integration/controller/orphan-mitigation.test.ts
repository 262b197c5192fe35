import type { Request, Response } from 'express';
import { DatabaseBroker, databaseCatalog, DB_SERVICE, PLAN_CACHE, PLAN_SMALL } from './support/brokers';
import { Harness } from './support/harness';
import { decodeIdentity, failMode, sleep, startTestBroker, type RecordedRequest, type TestBroker } from './support/test-broker';

jest.setTimeout(30_000);

type Body = Record<string, unknown>;

/**
 * Checklist N.8, row by row, for provision and for bind. `fail` in the request parameters
 * picks the broker's misbehaviour: the SDK broker itself produces 5xx, 4xx, 422
 * ConcurrencyError and a failed last_operation; the interceptor produces what an SDK broker
 * never would (malformed bodies, 204, 408, a hang past the request timeout).
 */
async function misbehave(req: Request, res: Response): Promise<boolean> {
  switch (failMode(req)) {
    case 'timeout':
      await sleep(1200);
      if (!res.headersSent && !res.destroyed) res.status(201).json({});
      return true;
    case 'malformed-201':
      res.status(201).type('application/json').send('["not", "an", "object"]');
      return true;
    case 'malformed-202':
      res.status(202).json({ operation: 42 });
      return true;
    case 'malformed-200':
      res.status(200).type('application/json').send('this is not json');
      return true;
    case 'status-204':
      res.status(204).end();
      return true;
    case 'status-408':
      res.status(408).json({ description: 'took too long' });
      return true;
    default:
      return false;
  }
}

interface Row {
  answer: string;
  fail: string;
  mitigated: boolean;
}

const ROWS: Row[] = [
  { answer: '5xx', fail: '500', mitigated: true },
  { answer: 'timeout', fail: 'timeout', mitigated: true },
  { answer: '201 malformed', fail: 'malformed-201', mitigated: true },
  { answer: '202 malformed', fail: 'malformed-202', mitigated: true },
  { answer: 'other 2xx (204)', fail: 'status-204', mitigated: true },
  { answer: 'last_operation failed', fail: 'async-failed', mitigated: true },
  { answer: '200 malformed', fail: 'malformed-200', mitigated: false },
  { answer: '408', fail: 'status-408', mitigated: false },
  { answer: 'other 4xx (400)', fail: '400', mitigated: false },
  { answer: '422 ConcurrencyError', fail: 'concurrency', mitigated: false },
];

describe('orphan mitigation', () => {
  let harness: Harness;
  let broker: TestBroker;

  beforeEach(async () => {
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker(), intercept: misbehave });
    harness = await Harness.start({ brokerTimeoutMs: 400 });
    await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    await harness.enableAccess('testcache');
  });

  afterEach(async () => {
    await harness.close();
    await broker.stop();
  });

  function expectPlatformDelete(call: RecordedRequest): void {
    expect(call.headers['x-broker-api-version']).toBe('2.17');
    expect(call.headers.authorization).toMatch(/^Basic /);
    expect(call.headers['x-broker-api-request-identity']).toMatch(/^[0-9a-f-]{36}$/);
    // Orphan mitigation is not a user action: no originating identity.
    expect(call.headers['x-broker-api-originating-identity']).toBeUndefined();
  }

  describe('provision', () => {
    test.each(ROWS)('$answer → mitigation: $mitigated', async ({ fail, mitigated }) => {
      const created = await harness.createInstance(`db-${fail}`, await harness.planGuid('testdb', 'small'), { parameters: { fail } });
      expect(created.job.state).toBe('FAILED');
      const path = `/v2/service_instances/${created.guid}`;
      const instance = await harness.instance(created.guid);
      expect(instance.last_operation).toMatchObject({ type: 'create', state: 'failed' });

      if (mitigated) {
        const deletes = await harness.eventually(() => {
          const found = broker.requests.filter((r) => r.method === 'DELETE' && r.path === path);
          return found.length > 0 ? found : undefined;
        }, 'the mitigating DELETE');
        expectPlatformDelete(deletes[0]!);
        expect(deletes[0]!.query).toMatchObject({ service_id: DB_SERVICE, plan_id: PLAN_SMALL });
        const confirmed = await harness.eventually(async () => {
          const op = (await harness.instance(created.guid)).last_operation as Body;
          return String(op.description).includes('Orphan mitigation: the service broker confirmed the deprovision.') ? op : undefined;
        }, 'the mitigation recorded on the instance');
        expect(confirmed.state).toBe('failed');
        expect(harness.logs()).toContain('orphan mitigation');
      } else {
        await sleep(400);
        expect(broker.requests.filter((r) => r.method === 'DELETE' && r.path === path)).toEqual([]);
        expect(String((instance.last_operation as Body).description)).not.toContain('Orphan mitigation');
      }
    });

    test('a create that times out says what happens next: the instance stays listed, failed, while the platform deprovisions it', async () => {
      const created = await harness.createInstance('db-slow', await harness.planGuid('testdb', 'small'), { parameters: { fail: 'timeout' } });
      expect(created.job.state).toBe('FAILED');
      expect(created.job.errors[0]).toEqual({
        code: 10001,
        title: 'CF-ServiceBrokerApiTimeout',
        detail: 'The service broker did not answer the provision request within 400 ms. The service instance stays listed with its creation failed. '
          + "The platform is asking the service broker to deprovision whatever it may have created (orphan mitigation) and retries until the broker confirms; the service instance's last operation shows how that goes. "
          + 'Delete the service instance to remove it and free its name.',
      });
      const listed = (await harness.get('/v3/service_instances?names=db-slow')).body.resources as Body[];
      expect(listed.map((i) => i.guid)).toEqual([created.guid]);
      // The last operation keeps the broker's failure and adds the mitigation as it goes, without the job's advice.
      const operation = (await harness.instance(created.guid)).last_operation as Body;
      expect(operation).toMatchObject({ type: 'create', state: 'failed' });
      expect(String(operation.description)).toMatch(/^The service broker did not answer the provision request within 400 ms\. Orphan mitigation: /);
      await harness.eventually(() => broker.requests.find((r) => r.method === 'DELETE' && r.path === `/v2/service_instances/${created.guid}`), 'the mitigating DELETE');
      const deleted = await harness.delete(`/v3/service_instances/${created.guid}`);
      expect((await harness.waitForJob(deleted.headers.location)).state).toBe('COMPLETE');
      expect((await harness.get('/v3/service_instances?names=db-slow')).body.resources).toEqual([]);
    });

    test('a create the broker refuses (4xx) stays listed as failed and is not deprovisioned; the error says so', async () => {
      const created = await harness.createInstance('db-refused', await harness.planGuid('testdb', 'small'), { parameters: { fail: '400' } });
      expect(created.job.errors[0]!.detail).toBe('The service broker rejected the provision request (status 400): The size parameter is out of range. '
        + 'The service instance stays listed with its creation failed. Delete the service instance to remove it and free its name.');
    });

    test('a mitigation the broker refuses is retried with backoff until it succeeds', async () => {
      let refusals = 2;
      const previous = broker.intercept;
      broker.intercept = async (req, res) => {
        if (req.method === 'DELETE' && refusals > 0) {
          refusals -= 1;
          res.status(500).json({ description: 'not now' });
          return true;
        }
        return previous!(req, res);
      };
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'), { parameters: { fail: '500' } });
      const pending = await harness.eventually(async () => {
        const description = String(((await harness.instance(created.guid)).last_operation as Body).description);
        return description.includes('attempt(s) failed so far') ? description : undefined;
      }, 'a failed attempt on the instance');
      expect(pending).toContain('not now');
      await harness.eventually(async () => String(((await harness.instance(created.guid)).last_operation as Body).description).includes('confirmed the deprovision'), 'confirmation');
      expect(broker.received('DELETE', `/v2/service_instances/${created.guid}`)).toHaveLength(3);
    });

    test('a failed create cannot be bound', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'), { parameters: { fail: '500' } });
      const app = await harness.createApp('web');
      const res = await harness.bind(app, created.guid);
      expect(res.status).toBe(422);
      expect(res.response.body.errors[0].detail).toBe('The service instance cannot be bound: its creation failed.');
    });

    test('polling past the limit counts as a failed create and is mitigated', async () => {
      await harness.restart({ maxPollingSeconds: 1 });
      const created = await harness.createInstance('slow', await harness.planGuid('testdb', 'small'), { parameters: { steps: 50 } });
      expect(created.job.state).toBe('FAILED');
      expect(created.job.errors[0]!.detail).toMatch(/^The service broker did not finish the provision within 1 s of polling\. The service instance stays listed with its creation failed\. The platform is asking/);
      await harness.eventually(() => broker.requests.find((r) => r.method === 'DELETE' && r.path === `/v2/service_instances/${created.guid}`), 'the mitigating DELETE');
    });

    test('a successful create is not mitigated', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      expect(created.job.state).toBe('COMPLETE');
      await sleep(300);
      expect(broker.received('DELETE', '/v2/service_instances/')).toEqual([]);
    });

    test('a deprovision answered with 5xx is sent again in the background until the broker confirms; then the instance is gone', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      let refusals = 1;
      broker.intercept = (req, res) => {
        if (req.method === 'DELETE' && refusals > 0) {
          refusals -= 1;
          res.status(503).json({ description: 'maintenance' });
          return true;
        }
        return false;
      };
      const job = await harness.waitForJob((await harness.delete(`/v3/service_instances/${created.guid}`)).headers.location);
      expect(job.state).toBe('FAILED');
      await harness.eventually(async () => (await harness.get(`/v3/service_instances/${created.guid}`)).status === 404, 'the instance to be forgotten');
      const deletes = broker.received('DELETE', `/v2/service_instances/${created.guid}`);
      expect(deletes).toHaveLength(2);
      expect(decodeIdentity(deletes[0]!.headers['x-broker-api-originating-identity'])!.value).toEqual({ user_id: harness.userGuid });
      expect(deletes[1]!.headers['x-broker-api-originating-identity']).toBeUndefined();
    });

    test('a deprovision that times out is not mitigated', async () => {
      const created = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
      broker.intercept = async (req, res) => {
        if (req.method !== 'DELETE') return false;
        await sleep(1000);
        if (!res.destroyed) res.status(200).json({});
        return true;
      };
      const job = await harness.waitForJob((await harness.delete(`/v3/service_instances/${created.guid}`)).headers.location);
      expect(job.state).toBe('FAILED');
      expect(job.errors[0]!.detail).toBe('The service broker did not answer the deprovision request within 400 ms.');
      await sleep(400);
      expect(broker.received('DELETE', `/v2/service_instances/${created.guid}`)).toHaveLength(1);
      expect((await harness.instance(created.guid)).last_operation).toMatchObject({ type: 'delete', state: 'failed' });
    });
  });

  describe('bind', () => {
    let instanceGuid: string;
    let appGuid: string;

    beforeEach(async () => {
      instanceGuid = (await harness.createInstance('db1', await harness.planGuid('testdb', 'small'))).guid;
      appGuid = await harness.createApp('web');
    });

    test.each(ROWS)('$answer → mitigation: $mitigated', async ({ fail, mitigated }) => {
      const bound = await harness.bind(appGuid, instanceGuid, { parameters: { fail } });
      expect(bound.job.state).toBe('FAILED');
      const path = `/v2/service_instances/${instanceGuid}/service_bindings/${bound.guid}`;
      const binding = (await harness.get(`/v3/service_credential_bindings/${bound.guid}`)).body as Body;
      expect(binding.last_operation).toMatchObject({ type: 'create', state: 'failed' });

      if (mitigated) {
        const deletes = await harness.eventually(() => {
          const found = broker.requests.filter((r) => r.method === 'DELETE' && r.path === path);
          return found.length > 0 ? found : undefined;
        }, 'the mitigating unbind');
        expectPlatformDelete(deletes[0]!);
        expect(deletes[0]!.query).toMatchObject({ service_id: DB_SERVICE, plan_id: PLAN_SMALL });
        await harness.eventually(async () => {
          const op = (await harness.get(`/v3/service_credential_bindings/${bound.guid}`)).body.last_operation as Body;
          return String(op.description).includes('Orphan mitigation: the service broker confirmed the unbind.') ? op : undefined;
        }, 'the mitigation recorded on the binding');
        // The instance itself is not touched by a binding's mitigation.
        expect(broker.requests.filter((r) => r.method === 'DELETE' && r.path === `/v2/service_instances/${instanceGuid}`)).toEqual([]);
      } else {
        await sleep(400);
        expect(broker.requests.filter((r) => r.method === 'DELETE' && r.path === path)).toEqual([]);
      }
      // A failed binding never reaches the app's environment.
      expect((await harness.get(`/v3/apps/${appGuid}/env`)).body.system_env_json).toEqual({ VCAP_SERVICES: {} });
    });

    test('an async bind on an offering whose bindings are not retrievable is mitigated', async () => {
      const cache = await harness.createInstance('cache1', await harness.planGuid('testcache', 'async'));
      const bound = await harness.bind(appGuid, cache.guid);
      expect(bound.job.state).toBe('FAILED');
      expect(bound.job.errors[0]!.detail).toContain('does not support fetching binding data');
      const unbind = await harness.eventually(() => broker.requests.find((r) => r.method === 'DELETE' && r.path.endsWith(`/service_bindings/${bound.guid}`)), 'the unbind');
      expect(unbind.query.plan_id).toBe(PLAN_CACHE);
    });

    test('a failed binding can be replaced by binding again', async () => {
      const failed = await harness.bind(appGuid, instanceGuid, { parameters: { fail: '500' } });
      expect(failed.job.state).toBe('FAILED');
      const again = await harness.bind(appGuid, instanceGuid);
      expect(again.job.state).toBe('COMPLETE');
      const bindings = (await harness.get(`/v3/service_credential_bindings?app_guids=${appGuid}`)).body.resources as Body[];
      expect(bindings.map((b) => b.guid)).toEqual([again.guid]);
    });
  });
});
