import { join } from 'node:path';
import { OsbClient } from '../../../sdk';
import { databaseName } from '../../../brokers/mysql';
import { freePort, REPO_ROOT, startNode, waitFor, type RunningProcess } from '../../support/process';
import { adminUrl, MysqlTestRun, PLAN_SMALL, SERVICE_ID } from './support';

/**
 * Two `osbkit broker mysql` processes on one MySQL state store, as replicas behind a load
 * balancer: concurrent identical provisions of one instance, spread over both, make exactly
 * one database, and both replicas then tell the same story.
 */
jest.setTimeout(120_000);

describe('two broker processes sharing one MySQL state store', () => {
  let run: MysqlTestRun;
  const replicas: Array<{ proc: RunningProcess; client: OsbClient }> = [];

  beforeAll(async () => {
    run = await MysqlTestRun.start();
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const proc = startNode(join('bin', 'osbkit'), ['broker', 'mysql', '--port', String(port)], {
        MYSQL_URL: `${adminUrl()}/${run.stateDatabase}`,
        OSBKIT_BROKER_USERNAME: 'platform',
        OSBKIT_BROKER_PASSWORD: 'replica-secret',
        OSBKIT_LOG_LEVEL: 'warn',
      });
      const client = new OsbClient({ url: `http://127.0.0.1:${port}`, username: 'platform', password: 'replica-secret', timeoutMs: 30_000 });
      replicas.push({ proc, client });
      await waitFor(async () => (await client.getCatalog()).status === 200, `replica ${i}\n${proc.output()}`, 30_000);
    }
    expect(REPO_ROOT).toBeTruthy();
  });

  afterAll(async () => {
    for (const { proc } of replicas) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
    await run?.cleanup();
  });

  test('20 concurrent identical provisions over both replicas make one database', async () => {
    const instanceId = run.id('replicated');
    const body = { service_id: SERVICE_ID, plan_id: PLAN_SMALL, organization_guid: 'org', space_guid: 'space' };
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        replicas[i % 2]!.client.provision(instanceId, body).then(
          (answer) => answer.status,
          (error: { status?: number; code?: string }) => `${error.status} ${error.code}`,
        ),
      ),
    );
    // One request ran the provision; every other one saw it, finished or still running.
    expect(answers.filter((a) => a === 201)).toHaveLength(1);
    for (const answer of answers) expect([201, 200, '422 ConcurrencyError']).toContain(answer);
    expect(await run.databaseExists(databaseName(instanceId))).toBe(true);

    for (const { client } of replicas) {
      expect((await client.provision(instanceId, body)).status).toBe(200);
      expect((await client.fetchInstance(instanceId)).body).toMatchObject({ service_id: SERVICE_ID, plan_id: PLAN_SMALL });
    }
    // A binding made through one replica is unbound through the other.
    const bound = await replicas[0]!.client.bind(instanceId, 'b-1', { service_id: SERVICE_ID, plan_id: PLAN_SMALL, bind_resource: { app_guid: 'app' } });
    expect(bound.status).toBe(201);
    expect((await replicas[1]!.client.unbind(instanceId, 'b-1', { service_id: SERVICE_ID, plan_id: PLAN_SMALL })).status).toBe(200);
    expect((await replicas[0]!.client.deprovision(instanceId, { service_id: SERVICE_ID, plan_id: PLAN_SMALL })).status).toBe(200);
    expect((await replicas[1]!.client.deprovision(instanceId, { service_id: SERVICE_ID, plan_id: PLAN_SMALL })).status).toBe(410);
    expect(await run.databaseExists(databaseName(instanceId))).toBe(false);
  });
});
