import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFileSystemCommand, CreateMountTargetCommand, DescribeFileSystemsCommand, EFSClient, SubnetNotFound } from '@aws-sdk/client-efs';
import { startNode, waitFor, type RunningProcess } from '../../support/process';

/** `osbkit efs-emulator` as a process: flags, the printed URL, state across a restart, a clean stop. */

let dir: string;
const running: RunningProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'osbkit-efs-cli-'));
});
afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await run.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function startEmulator(args: string[], region = 'us-east-1'): Promise<{ run: RunningProcess; client: EFSClient }> {
  const run = startNode('bin/osbkit', ['efs-emulator', '--port', '0', ...args]);
  running.push(run);
  const url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())?.[1], `the emulator to listen (output: ${run.output()})`);
  const client = new EFSClient({ region, endpoint: url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dummy' }, maxAttempts: 1 });
  return { run, client };
}

it('prints its URL, serves the API with the given subnets, keeps its state file across a restart and stops on SIGTERM', async () => {
  const stateFile = join(dir, 'state.json');
  const backingDir = join(dir, 'efs');
  const flags = ['--creation-delay-ms', '0', '--subnets', 'subnet-0abc0abc:eu-west-1a', '--region', 'eu-west-1', '--state-file', stateFile, '--backing-dir', backingDir];
  const first = await startEmulator(flags, 'eu-west-1');
  const client = first.client;
  const fs = await client.send(new CreateFileSystemCommand({ CreationToken: 'cli' }));
  expect(existsSync(join(backingDir, fs.FileSystemId!))).toBe(true);
  await client.send(new CreateMountTargetCommand({ FileSystemId: fs.FileSystemId, SubnetId: 'subnet-0abc0abc' }));
  await expect(client.send(new CreateMountTargetCommand({ FileSystemId: fs.FileSystemId, SubnetId: 'subnet-00000001' }))).rejects.toBeInstanceOf(SubnetNotFound);
  expect(first.run.output()).toContain(`subnet-0abc0abc (eu-west-1a, 10.0.0.0/24)`);
  expect(first.run.output()).toMatch(/POST \/2015-02-01\/file-systems 201 CreateFileSystem/);
  first.run.child.kill('SIGTERM');
  expect(await first.run.exited).toBe(0);
  client.destroy();

  const second = await startEmulator(flags, 'eu-west-1');
  const again = second.client;
  const [kept] = (await again.send(new DescribeFileSystemsCommand({ FileSystemId: fs.FileSystemId }))).FileSystems!;
  expect(kept).toMatchObject({ FileSystemId: fs.FileSystemId, NumberOfMountTargets: 1 });
  again.destroy();
}, 60_000);

it('documents its flags in --help', async () => {
  const run = startNode('bin/osbkit', ['efs-emulator', '--help']);
  running.push(run);
  expect(await run.exited).toBe(0);
  for (const flag of ['--port', '--host', '--subnets', '--creation-delay-ms', '--deletion-delay-ms', '--throttle-rate', '--error-rate', '--latency-ms', '--seed', '--backing-dir', '--state-file']) {
    expect(run.output()).toContain(flag);
  }
});

it.each([
  [['--throttle-rate', '1.5'], /--throttle-rate must be a fraction from 0 to 1/],
  [['--subnets', 'subnet-1:us-east-1a'], /subnet id "subnet-1"/],
  [['--port', 'http'], /--port must be a whole number/],
  [['--throttle-rate', '0.7', '--error-rate', '0.7'], /together must not exceed 1/],
])('refuses %j with a message and a non-zero exit', async (args, message) => {
  const run = startNode('bin/osbkit', ['efs-emulator', ...args]);
  running.push(run);
  expect(await run.exited).not.toBe(0);
  expect(run.output()).toMatch(message);
});
