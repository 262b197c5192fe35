import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OsbClient } from '../../../sdk';
import { freePort, startNode, waitFor, type RunningProcess } from '../../support/process';

/**
 * The SDK's durability promise: a broker process killed in the middle of an async operation
 * is restarted, the operation resumes from its last checkpoint and completes, and
 * last_operation tells the truth throughout.
 */
const SERVICE = '6d1c3f2a-0b9e-4c55-9a3e-5f3b1e7c2a10';
const SLOW = '9b2d4c1e-7f3a-4e8b-b6d5-2c1a0e9f8d02';
const STEPS = 8;
const SCRIPT = 'dist/examples/file-broker/main.js';

describe('a broker killed mid-operation', () => {
  let dir: string;
  let port: number;
  let running: RunningProcess | undefined;
  const client = (): OsbClient => new OsbClient({ url: `http://127.0.0.1:${port}`, username: 'broker', password: 'broker-secret', timeoutMs: 5000 });

  const start = async (): Promise<RunningProcess> => {
    const proc = startNode(SCRIPT, ['--dir', dir, '--port', String(port), '--steps', String(STEPS), '--step-seconds', '0.25', '--lease-ms', '1000', '--scan-ms', '300'], { OSBKIT_LOG_LEVEL: 'warn', OSBKIT_BROKER_USERNAME: 'broker', OSBKIT_BROKER_PASSWORD: 'broker-secret' });
    await waitFor(async () => (await client().getCatalog()).status === 200, `the broker on port ${port}\n${proc.output()}`);
    return proc;
  };

  beforeAll(async () => {
    expect(existsSync(SCRIPT)).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'osbkit-restart-'));
    port = await freePort();
  });

  afterAll(async () => {
    running?.child.kill('SIGKILL');
    await running?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  test('resumes the operation after a restart and reports it truthfully', async () => {
    running = await start();
    const accepted = await client().provision(
      'restart-1',
      { service_id: SERVICE, plan_id: SLOW, organization_guid: 'org', space_guid: 'space' },
      { acceptsIncomplete: true },
    );
    expect(accepted.status).toBe(202);
    const operation = accepted.operation!;
    const files = (): string[] => (existsSync(join(dir, 'files', 'restart-1')) ? readdirSync(join(dir, 'files', 'restart-1')) : []);
    await waitFor(() => files().length >= 2, 'two steps on disk');

    running.child.kill('SIGKILL');
    await running.exited;
    const doneBeforeCrash = files().length;
    expect(doneBeforeCrash).toBeLessThan(STEPS);

    running = await start();
    const during = await client().instanceLastOperation('restart-1', { service_id: SERVICE, plan_id: SLOW, operation });
    expect(during.body.state).toBe('in progress');

    const final = await client().waitForOperation({ instanceId: 'restart-1' }, { operation, service_id: SERVICE, plan_id: SLOW, maxPollingSeconds: 30, defaultIntervalMs: 100 });
    expect(final.body.state).toBe('succeeded');
    expect(files().sort()).toEqual(Array.from({ length: STEPS }, (_, i) => `step-${i + 1}`).sort());

    const fetched = await client().fetchInstance('restart-1');
    expect(fetched.body.plan_id).toBe(SLOW);
  }, 60_000);

  test('a deprovision during a running provision halts it and cleans up', async () => {
    running ??= await start();
    const accepted = await client().provision('halt-1', { service_id: SERVICE, plan_id: SLOW, organization_guid: 'org', space_guid: 'space' }, { acceptsIncomplete: true });
    await waitFor(() => existsSync(join(dir, 'files', 'halt-1', 'step-1')), 'the first step');
    const deleting = await client().deprovision('halt-1', { service_id: SERVICE, plan_id: SLOW }, { acceptsIncomplete: true });
    expect(deleting.status).toBe(202);
    const deleted = await client().waitForOperation({ instanceId: 'halt-1' }, { operation: deleting.operation!, isDelete: true, maxPollingSeconds: 30, defaultIntervalMs: 100 });
    expect(deleted.body.state).toBe('succeeded');
    const provision = await client().instanceLastOperation('halt-1', { operation: accepted.operation! });
    expect(provision.body.state).toBe('failed');
    expect(provision.body.description).toMatch(/halted/i);
    expect(existsSync(join(dir, 'files', 'halt-1'))).toBe(false);
  }, 60_000);
});
