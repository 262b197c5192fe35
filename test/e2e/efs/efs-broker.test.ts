import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeFileSystemsCommand, DescribeMountTargetsCommand, EFSClient, type FileSystemDescription } from '@aws-sdk/client-efs';
import { waitFor } from '../../support/process';
import { appDir, startPlatform, type Platform } from '../support';

/**
 * The EFS broker as `osbkit up --with-efs` runs it: the EFS API emulator as a part of the
 * platform, its file systems in a directory of the shared NFS-Ganesha's export, the broker
 * registered, and the whole flow driven through the CLI while the emulator throttles and fails
 * requests: create-service (async, polled by the controller), bind-service, an app on the cell
 * writing through the NFS driver as the access point's identity, unbind, delete-service. A
 * second platform names a subnet the emulator does not have: the create fails with AWS's
 * message and the controller's orphan mitigation deletes what was made.
 */
jest.setTimeout(300_000);

const DUMMY_KEYS = { AWS_ACCESS_KEY_ID: 'AKIDOSBKITTEST', AWS_SECRET_ACCESS_KEY: 'osbkit-test-dummy-secret', AWS_EC2_METADATA_DISABLED: 'true' };

interface EmulatorLine {
  url: string;
  backingDir: string;
  nfsExport?: string;
}

/** What `osbkit up` said about the emulator it started. */
function emulatorLine(platform: Platform): EmulatorLine {
  const match = /efs-emulator\s+(http:\/\/127\.0\.0\.1:\d+) \(file systems in (\S+?)(?:, served as (nfs:\/\/\S+))?[;)]/.exec(platform.upLog());
  if (!match) throw new Error(`osbkit up did not report its EFS emulator:\n${platform.upLog()}`);
  return { url: match[1]!, backingDir: match[2]!, ...(match[3] ? { nfsExport: match[3] } : {}) };
}

function emulatorClient(url: string, maxAttempts = 10): EFSClient {
  return new EFSClient({ region: 'us-east-1', endpoint: url, maxAttempts, credentials: { accessKeyId: DUMMY_KEYS.AWS_ACCESS_KEY_ID, secretAccessKey: DUMMY_KEYS.AWS_SECRET_ACCESS_KEY } });
}

async function fileSystemOf(client: EFSClient, instanceGuid: string): Promise<FileSystemDescription | undefined> {
  return (await client.send(new DescribeFileSystemsCommand({ CreationToken: instanceGuid }))).FileSystems?.[0];
}

const guidOf = async (platform: Platform, service: string): Promise<string> => (JSON.parse(await platform.ok(['--json', 'service', service])) as { guid: string }).guid;

describe('EFS through osbkit up --with-efs and the CLI, with throttling and 500s', () => {
  let platform: Platform;
  let emulator: EmulatorLine;
  let aws: EFSClient;

  beforeAll(async () => {
    platform = await startPlatform({ upArgs: ['--with-efs', '--efs-throttle-rate', '0.15', '--efs-error-rate', '0.1'] });
    emulator = emulatorLine(platform);
    aws = emulatorClient(emulator.url);
  });

  afterAll(async () => {
    aws?.destroy();
    await platform?.stop();
    if (emulator?.backingDir.includes('/osbkit-efs/home-')) rmSync(emulator.backingDir, { recursive: true, force: true });
  });

  test('the emulator runs on the shared NFS-Ganesha\'s export and injects faults; the broker is registered and offered', async () => {
    expect(emulator.nfsExport).toMatch(/^nfs:\/\/127\.0\.0\.1\/.+\/osbkit-efs\/home-[0-9a-f]{16}$/);
    expect(platform.upLog()).toMatch(/allowed shares: .*osbkit-efs\/home-[0-9a-f]{16}\/\*\*/);
    expect(await platform.ok(['service-brokers'])).toMatch(/efs\s+http:\/\/127\.0\.0\.1:\d+/);
    const offering = await platform.ok(['marketplace', '-e', 'efs']);
    expect(offering).toContain('generalPurpose');
    expect(offering).toContain('maxIO');
    // One attempt per call: about a quarter of them meet an injected fault.
    const single = emulatorClient(emulator.url, 1);
    let faults = 0;
    for (let i = 0; i < 40; i += 1) {
      await single.send(new DescribeFileSystemsCommand({})).catch(() => (faults += 1));
    }
    single.destroy();
    expect(faults).toBeGreaterThan(0);
  });

  test('bad input is refused with the reason, and nothing is made', async () => {
    const unknown = await platform.cli(['create-service', 'efs', 'generalPurpose', 'bad-1', '-c', '{"size":5}']);
    expect(unknown.status).not.toBe(0);
    expect(`${unknown.stdout}${unknown.stderr}`).toMatch(/size/);
    const elastic = await platform.cli(['create-service', 'efs', 'maxIO', 'bad-2', '-c', '{"throughput_mode":"elastic"}']);
    expect(elastic.status).not.toBe(0);
    expect(`${elastic.stdout}${elastic.stderr}`).toContain('throughput_mode "elastic" is not available on the maxIO plan');
    const all = (await aws.send(new DescribeFileSystemsCommand({}))).FileSystems ?? [];
    expect(all).toEqual([]);
  });

  test('create-service, bind-service, an app writes through the NFS driver, unbind, delete-service', async () => {
    await platform.ok(['create-service', 'efs', 'generalPurpose', 'files', '-c', '{"throughput_mode":"elastic"}']);
    expect(await platform.ok(['service', 'files'])).toMatch(/create succeeded/);
    const guid = await guidOf(platform, 'files');
    const fileSystem = (await fileSystemOf(aws, guid))!;
    expect(fileSystem).toMatchObject({ LifeCycleState: 'available', ThroughputMode: 'elastic', Encrypted: true });
    const tags = Object.fromEntries((fileSystem.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
    expect(tags['osbkit:instance-id']).toBe(guid);
    expect(tags['osbkit:space-guid']).toMatch(/^[0-9a-f-]{36}$/);
    const targets = (await aws.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystem.FileSystemId }))).MountTargets ?? [];
    expect(targets.map((target) => target.LifeCycleState)).toEqual(['available', 'available']);

    const app = appDir(platform, 'efs-writer', { 'app.sh': '#!/bin/sh\necho "id=$(id -u)"\ndate > /data/hello.txt && echo WROTE\nls -ln /data\nexec sleep 3600\n' });
    await platform.ok(['push', 'efs-writer', '--command', 'sh app.sh', '--path', app, '--no-start']);
    const refused = await platform.cli(['bind-service', 'efs-writer', 'files', '-c', '{"uid":0,"gid":1000,"mount":"/data"}']);
    expect(refused.status).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toContain('uid must be a whole number from 1 to 4294967294 (0, root, is refused)');
    await platform.ok(['bind-service', 'efs-writer', 'files', '-c', '{"uid":1000,"gid":1000,"mount":"/data"}']);
    const env = JSON.parse(await platform.ok(['--json', 'env', 'efs-writer'])) as { system_env_json: { VCAP_SERVICES: Record<string, Array<Record<string, unknown>>> } };
    expect(env.system_env_json.VCAP_SERVICES.efs?.[0]).toMatchObject({ name: 'files', plan: 'generalPurpose', volume_mounts: [{ container_dir: '/data', mode: 'rw', device_type: 'shared' }] });

    await platform.ok(['start', 'efs-writer']);
    const logs = (): Promise<string> => platform.ok(['logs', 'efs-writer', '--recent']);
    await waitFor(async () => (await logs()).includes('WROTE'), 'the app to write into its EFS volume', 60_000);
    // On the file system, the file belongs to the access point's identity.
    const written = join(emulator.backingDir, fileSystem.FileSystemId!, 'shared', 'hello.txt');
    const stats = statSync(written);
    expect([stats.uid, stats.gid]).toEqual([1000, 1000]);

    await platform.ok(['unbind-service', 'efs-writer', 'files']);
    await platform.ok(['delete', 'efs-writer']);
    await platform.ok(['delete-service', 'files']);
    expect(await fileSystemOf(aws, guid)).toBeUndefined();
    await waitFor(() => !existsSync(join(emulator.backingDir, fileSystem.FileSystemId!)), 'the file system\'s directory to go');
    expect(await platform.ok(['services'])).not.toMatch(/\bfiles\b/);
  });
});

describe('EFS with a subnet that does not exist', () => {
  let platform: Platform;
  let emulator: EmulatorLine;
  let aws: EFSClient;

  beforeAll(async () => {
    platform = await startPlatform({ upArgs: ['--with-efs', '--efs-subnet-ids', 'subnet-00000001,subnet-0000dead'] });
    emulator = emulatorLine(platform);
    aws = emulatorClient(emulator.url);
  });

  afterAll(async () => {
    aws?.destroy();
    await platform?.stop();
    if (emulator?.backingDir.includes('/osbkit-efs/home-')) rmSync(emulator.backingDir, { recursive: true, force: true });
  });

  test('the create fails with AWS\'s message, and orphan mitigation deletes the file system that was made', async () => {
    const created = await platform.cli(['create-service', 'efs', 'generalPurpose', 'doomed']);
    expect(created.status).not.toBe(0);
    expect(`${created.stdout}${created.stderr}`).toContain('AWS EFS refused CreateMountTarget in subnet-0000dead: SubnetNotFound');
    const guid = await guidOf(platform, 'doomed');
    expect(await platform.ok(['service', 'doomed'])).toMatch(/create failed/);
    // The controller sends the orphan-mitigating delete; the broker finds the file system by its CreationToken.
    await waitFor(async () => (await fileSystemOf(aws, guid)) === undefined, 'the orphaned file system to be deleted', 90_000, 500);
    const all = (await aws.send(new DescribeFileSystemsCommand({}))).FileSystems ?? [];
    expect(all).toEqual([]);
  });
});
