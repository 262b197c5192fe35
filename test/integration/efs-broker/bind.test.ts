import { randomUUID } from 'node:crypto';
import type { EFSClient } from '@aws-sdk/client-efs';
import pino from 'pino';
import { efsCatalogPath } from '../../../brokers/efs';
import { Catalog, isInProgress } from '../../../sdk';
import { readVolumeOptions } from '../../../platform/drivers/nfs/volume-options';
import type { RunningEfsEmulator } from '../../../platform/efs-emulator';
import { connectNfs, isNfsError, Nfs3Status } from '../../../sdk/volume';
import { makeNfsRunDir, type NfsRunDir } from '../../support/nfs-server';
import { closeBrokers, type Osb } from '../../support/osb-harness';
import {
  accessPointsOf, bind, fileSystemByToken, finish, GENERAL_PURPOSE, inspector, provision, startEfsBroker, startEmulator, tagsOf, unbind, useDummyAwsCredentials,
} from './support';

/**
 * Bind and unbind: an access point per binding with the requested POSIX identity, rooted per
 * instance or per binding; the volume mount for the NFS driver, for AWS (NFSv4.1, TLS, the
 * access point) and for the emulator served by the shared NFS-Ganesha (NFSv3, the access
 * point's root directory and identity), checked by writing through that mount config.
 */
jest.setTimeout(60_000);
useDummyAwsCredentials();

let run: NfsRunDir;
let emulator: RunningEfsEmulator;
let aws: EFSClient;
const nfsExport = (): string => `nfs://${run.server.host}${run.serverPath}/efs`;

beforeAll(async () => {
  run = await makeNfsRunDir('efs-broker');
  emulator = await startEmulator({ backingDir: `${run.server.export}${run.path}/efs` });
  aws = inspector(emulator);
});
afterEach(async () => {
  emulator.setFaults({ throttleRate: 0, errorRate: 0, latencyMs: 0 });
  await closeBrokers();
});
afterAll(async () => {
  aws?.destroy();
  await emulator?.close();
  await run?.remove();
});

async function readyInstance(osb: Osb): Promise<{ id: string; fileSystemId: string }> {
  const id = randomUUID();
  const accepted = await provision(osb, id);
  expect((await finish(osb, id, accepted.body.operation)).final.body.state).toBe('succeeded');
  return { id, fileSystemId: (await fileSystemByToken(aws, id))!.FileSystemId! };
}

test('against AWS: an access point with the uid and gid, rooted in /shared, and a mount for NFSv4.1 over TLS through it', async () => {
  const { osb } = startEfsBroker(emulator);
  const { id, fileSystemId } = await readyInstance(osb);
  const bindingId = randomUUID();
  const parameters = { uid: 1000, gid: '1001', mount: '/data//files/', readonly: true };
  const bound = await bind(osb, id, bindingId, parameters, { appGuid: 'app-guid-1' });
  expect(bound.status).toBe(201);
  const [accessPoint] = await accessPointsOf(aws, fileSystemId);
  expect(accessPoint).toMatchObject({
    PosixUser: { Uid: 1000, Gid: 1001 },
    RootDirectory: { Path: '/shared', CreationInfo: { OwnerUid: 1000, OwnerGid: 1001, Permissions: '0770' } },
    LifeCycleState: 'available',
  });
  expect(tagsOf(accessPoint!)).toEqual({ Name: `osbkit-efs-binding-${bindingId}`, 'osbkit:instance-id': id, 'osbkit:binding-id': bindingId });
  expect(bound.body).toEqual({
    credentials: {},
    volume_mounts: [
      {
        driver: 'nfsv3driver',
        container_dir: '/data/files',
        mode: 'r',
        device_type: 'shared',
        device: {
          volume_id: `${id}-${accessPoint!.AccessPointId!}`,
          mount_config: {
            access_point: accessPoint!.AccessPointId,
            gid: '1001',
            readonly: 'true',
            source: `nfs://${fileSystemId}.efs.us-east-1.amazonaws.com/`,
            tls: 'true',
            uid: '1000',
            version: '4.1',
          },
        },
      },
    ],
  });
  // osbkit's NFS driver (NFSv3 only) refuses this config, naming why: an EFS-capable driver is needed on AWS.
  expect(() => readVolumeOptions(bound.body.volume_mounts[0].device.mount_config)).toThrow(/not allowed options: access_point, tls.*version 4\.1: this driver mounts NFS version 3 only/);
  // A repeat answers what was stored; no second access point.
  const repeat = await bind(osb, id, bindingId, parameters, { appGuid: 'app-guid-1' });
  expect(repeat.status).toBe(200);
  expect(await accessPointsOf(aws, fileSystemId)).toHaveLength(1);

  expect((await unbind(osb, id, bindingId)).status).toBe(200);
  expect(await accessPointsOf(aws, fileSystemId)).toEqual([expect.objectContaining({ LifeCycleState: 'deleting' })]);
  expect((await unbind(osb, id, bindingId)).status).toBe(410);
});

test('root_directory binding: /bindings/<binding id>; the default container directory; another driver name', async () => {
  const { osb } = startEfsBroker(emulator, { driver: 'efsdriver' });
  const { id, fileSystemId } = await readyInstance(osb);
  const bindingId = randomUUID();
  const bound = await bind(osb, id, bindingId, { uid: '2000', gid: 2000, root_directory: 'binding', readonly: false });
  expect(bound.status).toBe(201);
  const [accessPoint] = await accessPointsOf(aws, fileSystemId);
  expect(accessPoint!.RootDirectory).toEqual({ Path: `/bindings/${bindingId}`, CreationInfo: { OwnerUid: 2000, OwnerGid: 2000, Permissions: '0770' } });
  expect(bound.body.volume_mounts[0]).toMatchObject({ driver: 'efsdriver', container_dir: `/var/vcap/data/${id}`, mode: 'rw' });
  expect(bound.body.volume_mounts[0].device.mount_config.readonly).toBeUndefined();
});

test('bad bind parameters: 400 naming the problem, and no access point', async () => {
  const { osb } = startEfsBroker(emulator);
  const { id, fileSystemId } = await readyInstance(osb);
  const cases: Array<[Record<string, unknown>, string | RegExp]> = [
    [{ gid: 1000 }, 'uid is required'],
    [{ uid: 1000 }, 'gid is required'],
    [{ uid: 0, gid: 1000 }, 'uid must be a whole number from 1 to 4294967294 (0, root, is refused), got 0'],
    [{ uid: 1000, gid: -5 }, 'gid must be a whole number from 1 to 4294967294'],
    [{ uid: '10a', gid: 1000 }, 'uid must be a whole number'],
    [{ uid: 4294967295, gid: 1000 }, 'got 4294967295'],
    [{ uid: 1.5, gid: 1000 }, /uid/],
    [{ uid: 1000, gid: 1000, root_directory: 'app' }, /root_directory/],
    [{ uid: 1000, gid: 1000, mount: '/etc' }, /mount/],
    [{ uid: 1000, gid: 1000, readonly: 'yes' }, /readonly/],
    [{ uid: 1000, gid: 1000, share: 'x/y' }, /share/],
  ];
  for (const [parameters, message] of cases) {
    const refused = await bind(osb, id, randomUUID(), parameters);
    expect([JSON.stringify(parameters), refused.status]).toEqual([JSON.stringify(parameters), 400]);
    expect(refused.body.description).toMatch(message);
  }
  expect(await accessPointsOf(aws, fileSystemId)).toEqual([]);
});

test('bind with accepts_incomplete waits for the access point as an async operation; throttling and 500s on the way', async () => {
  const slow = await startEmulator({ creationDelayMs: 600 });
  const slowAws = inspector(slow);
  try {
    const { osb } = startEfsBroker(slow, { maxAttempts: 2 });
    const { id } = await (async () => {
      const instanceId = randomUUID();
      const accepted = await provision(osb, instanceId);
      expect((await finish(osb, instanceId, accepted.body.operation)).final.body.state).toBe('succeeded');
      return { id: instanceId };
    })();
    const fileSystemId = (await fileSystemByToken(slowAws, id))!.FileSystemId!;
    const bindingId = randomUUID();
    const accepted = await bind(osb, id, bindingId, { uid: 1000, gid: 1000 }, { acceptsIncomplete: true });
    expect(accepted.status).toBe(202);
    const polled = await osb.get(`/v2/service_instances/${id}/service_bindings/${bindingId}/last_operation?operation=${accepted.body.operation}`);
    expect(polled.body.description).toMatch(/^Waiting for the access point fsap-[0-9a-f]+ to become available \(it is creating\)\.$/);
    slow.setFaults({ throttleRate: 0.3, errorRate: 0.2 });
    let last: { state?: string } = {};
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      last = (await osb.get(`/v2/service_instances/${id}/service_bindings/${bindingId}/last_operation`)).body;
      if (last.state !== 'in progress') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    slow.setFaults({ throttleRate: 0, errorRate: 0 });
    expect(last.state).toBe('succeeded');
    const fetched = await osb.get(`/v2/service_instances/${id}/service_bindings/${bindingId}`);
    expect(fetched.body.volume_mounts[0].device.mount_config.access_point).toMatch(/^fsap-/);
    expect(await accessPointsOf(slowAws, fileSystemId)).toHaveLength(1);
  } finally {
    slowAws.destroy();
    await slow.close();
  }
});

test('a bind step that runs again (a restart in the middle of the same operation) finds the access point the first run made', async () => {
  const { osb, broker, store } = startEfsBroker(emulator);
  const { id, fileSystemId } = await readyInstance(osb);
  const entry = Catalog.load(efsCatalogPath).plan(GENERAL_PURPOSE)!;
  const stored = (await store.getInstance(id))!.record;
  const request = {
    instance: { instanceId: id, offering: entry.offering, plan: entry.plan, parameters: {}, ...(stored.data !== undefined ? { data: stored.data } : {}) },
    bindingId: randomUUID(),
    parameters: { uid: 1000, gid: 1000 },
    appGuid: randomUUID(),
    acceptsIncomplete: false,
    caller: { apiVersion: '2.17' },
  };
  const context = (operationId: string) => ({ signal: new AbortController().signal, operationId, step: 1, logger: pino({ level: 'silent' }) });
  const accessPointIdOf = (answer: Awaited<ReturnType<typeof broker.bind>>): unknown =>
    isInProgress(answer) ? (answer.checkpoint as { accessPointId?: string }).accessPointId : (answer.data as { accessPointId?: string }).accessPointId;

  const first = await broker.bind(request, context('bind-operation-1'));
  const second = await broker.bind(request, context('bind-operation-1'));
  const accessPoints = await accessPointsOf(aws, fileSystemId);
  expect(accessPoints).toHaveLength(1);
  expect([accessPointIdOf(first), accessPointIdOf(second)]).toEqual([accessPoints[0]!.AccessPointId, accessPoints[0]!.AccessPointId]);
  // Another operation for the same binding id (a new bind after a failed one) gets its own.
  await broker.bind(request, context('bind-operation-2'));
  expect(await accessPointsOf(aws, fileSystemId)).toHaveLength(2);
});

test('an unbind of a bind that failed finds its access point by tag', async () => {
  const { osb, store } = startEfsBroker(emulator);
  const { id, fileSystemId } = await readyInstance(osb);
  const bindingId = randomUUID();
  expect((await bind(osb, id, bindingId, { uid: 1000, gid: 1000 })).status).toBe(201);
  // The broker's record of the access point is lost, as when a bind fails after creating it.
  const stored = (await store.getBinding(id, bindingId))!;
  const { data: _dropped, ...withoutData } = stored.record;
  expect(await store.putBinding(withoutData, stored.version)).toBeDefined();
  expect((await unbind(osb, id, bindingId)).status).toBe(200);
  expect(await accessPointsOf(aws, fileSystemId)).toEqual([expect.objectContaining({ LifeCycleState: 'deleting' })]);
});

describe('against the emulator on the shared NFS-Ganesha', () => {
  test('the mount config names the access point root directory and identity, and a client using them writes there and nowhere else', async () => {
    const { osb } = startEfsBroker(emulator, { nfsExport: nfsExport() });
    const { id, fileSystemId } = await readyInstance(osb);
    const shared = await bind(osb, id, randomUUID(), { uid: 1000, gid: 1000 });
    const privateBindingId = randomUUID();
    const own = await bind(osb, id, privateBindingId, { uid: 1001, gid: 1001, root_directory: 'binding' });
    expect(shared.status).toBe(201);
    expect(own.status).toBe(201);
    const sharedConfig = shared.body.volume_mounts[0].device.mount_config as Record<string, string>;
    expect(sharedConfig).toEqual({
      gid: '1000',
      source: `${nfsExport()}/${fileSystemId}/shared`,
      uid: '1000',
      version: '3',
    });
    expect(shared.body.volume_mounts[0].device.volume_id).toMatch(new RegExp(`^${id}-fsap-[0-9a-f]+$`));
    const ownConfig = own.body.volume_mounts[0].device.mount_config as Record<string, string>;
    expect(ownConfig.source).toBe(`${nfsExport()}/${fileSystemId}/bindings/${privateBindingId}`);

    // The NFS driver's own reading takes it as it is.
    expect(readVolumeOptions(sharedConfig)).toMatchObject({ uid: 1000, gid: 1000, readOnly: false, version: '3' });

    // What the NFS driver does with it: mount `source` as uid:gid (AUTH_SYS). The client's paths are the server's, below its export.
    const asIdentity = (config: Record<string, string>, uid: string, gid: string) =>
      connectNfs(`${config.source!}?version=3&uid=${uid}&gid=${gid}&nfsport=${run.server.nfsPort}&mountport=${run.server.mountPort}`, { timeoutMs: 20_000 });
    const inExport = (config: Record<string, string>, file: string): string => `${new URL(config.source!).pathname.slice(run.server.export.length)}/${file}`;
    const sharedClient = await asIdentity(sharedConfig, sharedConfig.uid!, sharedConfig.gid!);
    const ownClient = await asIdentity(ownConfig, ownConfig.uid!, ownConfig.gid!);
    const intruder = await asIdentity(ownConfig, sharedConfig.uid!, sharedConfig.gid!);
    try {
      await sharedClient.writeFile(inExport(sharedConfig, 'hello.txt'), 'through the shared access point');
      await ownClient.writeFile(inExport(ownConfig, 'mine.txt'), 'private');
      const written = await run.root.stat(`${run.path}/efs/${fileSystemId}/shared/hello.txt`);
      expect([written.uid, written.gid]).toEqual([1000, 1000]);
      const mine = await run.root.stat(`${run.path}/efs/${fileSystemId}/bindings/${privateBindingId}/mine.txt`);
      expect([mine.uid, mine.gid]).toEqual([1001, 1001]);
      // The binding-private root is 0770 and owned by 1001: the shared binding's identity is kept out.
      const refused = await intruder.writeFile(inExport(ownConfig, 'intruder.txt'), 'no').then(() => undefined, (error: unknown) => error);
      expect(isNfsError(refused, Nfs3Status.NFS3ERR_ACCES)).toBe(true);
    } finally {
      await sharedClient.close();
      await ownClient.close();
      await intruder.close();
    }
    expect(tagsOf((await fileSystemByToken(aws, id))!)['osbkit:instance-id']).toBe(id);
  });
});
