import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import mysql from 'mysql2/promise';
import { OsbClient } from '../../../sdk';
import { databaseName } from '../../../brokers/mysql';
import { freePort, startNode, waitFor, type RunningProcess } from '../../support/process';
import { adminUrl, MYSQL_HOST, MYSQL_PASSWORD, MYSQL_PORT, MYSQL_USER, MysqlTestRun, PLAN_SMALL, SERVICE_ID } from './support';

/**
 * A MySQL broker killed (SIGKILL) in the middle of a provision loses nothing: the next broker
 * process on the same state store finishes the operation, and the platform's retry finds
 * exactly one database. The provision is held mid-way by a table lock the test takes on the
 * broker's registry, so the kill lands while the request is in flight.
 */
jest.setTimeout(120_000);

const body = { service_id: SERVICE_ID, plan_id: PLAN_SMALL, organization_guid: 'org', space_guid: 'space' };

describe('a MySQL broker killed mid-provision', () => {
  let run: MysqlTestRun;
  let locker: Connection;
  let broker: RunningProcess | undefined;
  let port: number;

  const start = async (): Promise<{ proc: RunningProcess; client: OsbClient }> => {
    const proc = startNode(join('bin', 'osbkit'), ['broker', 'mysql', '--port', String(port), '--lease-ms', '1000', '--scan-ms', '300'], {
      MYSQL_URL: `${adminUrl()}/${run.stateDatabase}`,
      OSBKIT_BROKER_USERNAME: 'platform',
      OSBKIT_BROKER_PASSWORD: 'crash-secret',
      OSBKIT_LOG_LEVEL: 'warn',
    });
    const client = new OsbClient({ url: `http://127.0.0.1:${port}`, username: 'platform', password: 'crash-secret', timeoutMs: 60_000 });
    await waitFor(async () => (await client.getCatalog()).status === 200, `the broker\n${proc.output()}`, 30_000);
    return { proc, client };
  };

  beforeAll(async () => {
    run = await MysqlTestRun.start();
    port = await freePort();
    locker = await mysql.createConnection({ host: MYSQL_HOST, port: MYSQL_PORT, user: MYSQL_USER, password: MYSQL_PASSWORD });
  });

  afterAll(async () => {
    await locker?.query('UNLOCK TABLES').catch(() => undefined);
    await locker?.end();
    if (broker && broker.child.exitCode === null) {
      broker.child.kill('SIGTERM');
      await broker.exited;
    }
    await run?.cleanup();
  });

  test('the restarted broker finishes the provision and the retry finds one database', async () => {
    let { proc, client } = await start();
    broker = proc;
    // A first instance makes the broker create its registry tables.
    await client.provision(run.id('warm'), body);
    await client.deprovision(run.id('warm'), { service_id: SERVICE_ID, plan_id: PLAN_SMALL });

    const instanceId = run.id('crash');
    await locker.query(`LOCK TABLES \`${run.stateDatabase}\`.mysql_broker_databases WRITE`);
    const inFlight = client.provision(instanceId, body).then(() => 'answered', () => 'failed');
    await waitFor(async () => {
      const [rows] = await run.root.query<mysql.RowDataPacket[]>("SELECT 1 FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table%' AND INFO LIKE '%mysql_broker_databases%'");
      return rows.length > 0;
    }, 'the provision to block on the registry', 20_000);

    proc.child.kill('SIGKILL');
    await proc.exited;
    expect(await inFlight).toBe('failed');
    await locker.query('UNLOCK TABLES');

    ({ proc, client } = await start());
    broker = proc;
    // The platform did not get an answer, so it asks again; the operation the dead process
    // claimed is resumed once its lease runs out, and the retry then sees it finished.
    const final = await waitFor(async () => {
      const answer = await client.provision(instanceId, body).catch((error: { status?: number; code?: string }) => ({ status: error.status, code: error.code }));
      return answer.status === 200 || answer.status === 201 ? answer.status : undefined;
    }, 'the retried provision to succeed', 30_000);
    // 200, not 201: the claim was committed before the broker started, so the new process
    // resumed the dead one's operation and the retry only saw its result.
    expect(final).toBe(200);
    expect(await run.databaseExists(databaseName(instanceId))).toBe(true);
    expect((await client.fetchInstance(instanceId)).body).toMatchObject({ service_id: SERVICE_ID, plan_id: PLAN_SMALL });
    const registryRows = await run.rows(`SELECT COUNT(*) AS n FROM \`${run.stateDatabase}\`.mysql_broker_databases WHERE database_name = ?`, [databaseName(instanceId)]);
    expect(Number(registryRows[0]!.n)).toBe(1);

    expect((await client.deprovision(instanceId, { service_id: SERVICE_ID, plan_id: PLAN_SMALL })).status).toBe(200);
    expect(await run.databaseExists(databaseName(instanceId))).toBe(false);
  });
});
