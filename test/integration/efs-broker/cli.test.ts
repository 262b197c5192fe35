import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeFileSystemsCommand, type EFSClient } from '@aws-sdk/client-efs';
import type { RunningEfsEmulator } from '../../../platform/efs-emulator';
import { Osb } from '../../support/osb-harness';
import { freePort, REPO_ROOT, startNode, waitFor, type RunningProcess } from '../../support/process';
import { deprovision, fileSystemByToken, inspector, mountTargetsOf, provision, SECURITY_GROUP, startEmulator, SUBNETS, useDummyAwsCredentials } from './support';

/**
 * `osbkit broker efs` as an operator runs it: --help, refusals to start, and the promise that
 * matters most for a broker whose operations take minutes: killed with SIGKILL in the middle of
 * a provision or a deprovision, and started again, it carries the operation to its end, and
 * AWS holds exactly one file system (or none) with the right mount targets.
 */
jest.setTimeout(120_000);
useDummyAwsCredentials();

const CREDENTIALS = { username: 'platform', password: 'efs-cli-secret' };
/** The child's environment: dummy keys for the default chain, no instance metadata, no EFS configuration from this machine's shell. */
const BASE_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDOSBKITTEST',
  AWS_SECRET_ACCESS_KEY: 'osbkit-test-dummy-secret',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_REGION: '',
  OSBKIT_EFS_REGION: '',
  OSBKIT_EFS_SUBNET_IDS: '',
  OSBKIT_EFS_SECURITY_GROUP_IDS: '',
  OSBKIT_EFS_ENDPOINT: '',
  OSBKIT_EFS_NFS_EXPORT: '',
  OSBKIT_LOG_LEVEL: 'warn',
  OSBKIT_BROKER_USERNAME: CREDENTIALS.username,
  OSBKIT_BROKER_PASSWORD: CREDENTIALS.password,
};

function osbkit(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bin', 'osbkit'), ...args], { env: { ...process.env, ...BASE_ENV, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

let emulator: RunningEfsEmulator;
let aws: EFSClient;
let stateDir: string;
const running: RunningProcess[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ creationDelayMs: 2_500, deletionDelayMs: 2_500 });
  aws = inspector(emulator);
  stateDir = mkdtempSync(join(tmpdir(), 'osbkit-efs-broker-cli-'));
});

afterAll(async () => {
  for (const proc of running) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  }
  aws?.destroy();
  await emulator?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

function brokerArgs(port: number): string[] {
  return [
    'broker', 'efs', '--port', String(port), '--state-dir', stateDir, '--region', emulator.region, '--endpoint', emulator.url,
    '--subnet-ids', SUBNETS.join(','), '--security-group-ids', SECURITY_GROUP,
    // A dead process's operations are claimed after a one-second lease, looked for every 300 ms.
    '--lease-ms', '1000', '--scan-ms', '300',
  ];
}

async function startBrokerProcess(port: number): Promise<{ proc: RunningProcess; osb: Osb }> {
  const proc = startNode(join('bin', 'osbkit'), brokerArgs(port), BASE_ENV);
  running.push(proc);
  const osb = new Osb(`http://127.0.0.1:${port}`, CREDENTIALS);
  await waitFor(async () => (await osb.get('/v2/catalog')).status === 200, `osbkit broker efs\n${proc.output()}`, 30_000);
  return { proc, osb };
}

async function kill(proc: RunningProcess): Promise<void> {
  proc.child.kill('SIGKILL');
  await proc.exited;
}

async function description(osb: Osb, instanceId: string, operation: string): Promise<{ state: string; description?: string }> {
  return (await osb.get(`/v2/service_instances/${instanceId}/last_operation?operation=${operation}`)).body as { state: string; description?: string };
}

describe('osbkit broker efs', () => {
  it('explains its flags in --help', async () => {
    const help = await osbkit(['broker', 'efs', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--region <region>', '--subnet-ids <ids>', '--security-group-ids <ids>', '--endpoint <url>', '--nfs-export <url>', 'osbkit broker efs --port 8080', 'OSBKIT_EFS_SUBNET_IDS']) {
      expect(help.stdout).toContain(flag);
    }
  });

  it('refuses to start without subnets, security groups or region, naming each', async () => {
    const result = await osbkit(['broker', 'efs', '--port', '0', '--state-dir', stateDir]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("The EFS broker's configuration is incomplete or invalid");
    expect(result.stderr).toContain('--region (or OSBKIT_EFS_REGION or AWS_REGION) is required');
    expect(result.stderr).toContain('--subnet-ids (or OSBKIT_EFS_SUBNET_IDS) is required');
    expect(result.stderr).toContain('--security-group-ids (or OSBKIT_EFS_SECURITY_GROUP_IDS) is required');
    expect(result.stderr).not.toMatch(/\n\s+at /);

    const bad = await osbkit(['broker', 'efs', '--port', '0', '--state-dir', stateDir, '--region', 'us-east-1', '--subnet-ids', 'subnet-1', '--security-group-ids', SECURITY_GROUP]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('"subnet-1" is not a subnet id such as subnet-0123456789abcdef0');
  });

  it('takes its configuration from OSBKIT_EFS_* when no flags are given', async () => {
    const port = await freePort();
    const env = { ...BASE_ENV, OSBKIT_EFS_REGION: emulator.region, OSBKIT_EFS_ENDPOINT: emulator.url, OSBKIT_EFS_SUBNET_IDS: SUBNETS[0]!, OSBKIT_EFS_SECURITY_GROUP_IDS: SECURITY_GROUP };
    const proc = startNode(join('bin', 'osbkit'), ['broker', 'efs', '--port', String(port), '--state-dir', mkdtempSync(join(stateDir, 'env-'))], env);
    running.push(proc);
    const osb = new Osb(`http://127.0.0.1:${port}`, CREDENTIALS);
    await waitFor(async () => (await osb.get('/v2/catalog')).status === 200, `osbkit broker efs\n${proc.output()}`, 30_000);
    const id = randomUUID();
    expect((await provision(osb, id)).status).toBe(202);
    const fileSystem = await waitFor(async () => fileSystemByToken(aws, id), 'the file system');
    await waitFor(async () => (await mountTargetsOf(aws, fileSystem.FileSystemId!)).length === 1, 'one mount target, in the one subnet configured');
    proc.child.kill('SIGTERM');
    await proc.exited;
  });

  it('killed with SIGKILL twice during a provision and twice during a deprovision, it resumes each time and finishes', async () => {
    const port = await freePort();
    let { proc, osb } = await startBrokerProcess(port);
    const id = randomUUID();
    const accepted = await provision(osb, id);
    expect(accepted.status).toBe(202);
    const operation = accepted.body.operation as string;

    // 1. While AWS creates the file system.
    await waitFor(async () => /^Step 3 of 5/.test((await description(osb, id, operation)).description ?? ''), 'the wait for the file system');
    await kill(proc);
    ({ proc, osb } = await startBrokerProcess(port));
    expect((await description(osb, id, operation)).state).toBe('in progress');

    // 2. While AWS creates the mount targets.
    await waitFor(async () => /^Step 5 of 5/.test((await description(osb, id, operation)).description ?? ''), 'the wait for the mount targets', 30_000);
    await kill(proc);
    ({ proc, osb } = await startBrokerProcess(port));
    await waitFor(async () => (await description(osb, id, operation)).state === 'succeeded', 'the provision to succeed after the restarts', 30_000);

    const made = await aws.send(new DescribeFileSystemsCommand({}));
    expect(made.FileSystems!.filter((fileSystem) => fileSystem.CreationToken === id)).toHaveLength(1);
    const fileSystemId = (await fileSystemByToken(aws, id))!.FileSystemId!;
    const targets = await mountTargetsOf(aws, fileSystemId);
    expect(targets.map((target) => [target.SubnetId, target.LifeCycleState]).sort()).toEqual(SUBNETS.map((subnet) => [subnet, 'available']));

    // 3. While AWS deletes the mount targets.
    const deleting = await deprovision(osb, id);
    expect(deleting.status).toBe(202);
    const deleteOperation = deleting.body.operation as string;
    await waitFor(async () => /^Step 2 of 4/.test((await description(osb, id, deleteOperation)).description ?? ''), 'the wait for the mount targets to go');
    await kill(proc);
    ({ proc, osb } = await startBrokerProcess(port));

    // 4. While AWS deletes the file system.
    await waitFor(async () => /^Step 4 of 4/.test((await description(osb, id, deleteOperation)).description ?? ''), 'the wait for the file system to go', 30_000);
    await kill(proc);
    ({ proc, osb } = await startBrokerProcess(port));
    await waitFor(async () => {
      const answer = await osb.get(`/v2/service_instances/${id}/last_operation?operation=${deleteOperation}`);
      return answer.status === 200 && answer.body.state === 'succeeded';
    }, 'the deprovision to succeed after the restart', 30_000);
    expect(await fileSystemByToken(aws, id)).toBeUndefined();
    proc.child.kill('SIGTERM');
    await proc.exited;
  });
});
