import { createHash, randomUUID } from 'node:crypto';
import { createNfsBroker, nfsCatalogPath } from '../../../brokers/nfs';
import { MemoryStore } from '../../../sdk';
import { connectNfs, validateVolumeMounts } from '../../../sdk/volume';
import { startFakeRpcServer, u32 } from '../../support/fake-rpc-server';
import { closeBrokers, startBroker, type Osb } from '../../support/osb-harness';
import { makeNfsRunDir, type NfsRunDir } from '../../support/nfs-server';
import { bind, blackHole, closedPort, deprovision, EXISTING_PLAN_ID, NFS_SERVICE_ID, provision, startNfsBroker } from './support';

/**
 * Plan Existing against the shared NFS-Ganesha: a share is checked against the allow-list and
 * for reachability at create, and bind answers nfsbroker's volume_mounts. Each run works in its
 * own directory of the export and removes it.
 */

let run: NfsRunDir;
let osb: Osb;
/** Shares (server/path) of directories in this run's directory. */
let share: (name: string) => string;
let rule: string;

beforeAll(async () => {
  run = await makeNfsRunDir('nfsbroker-existing');
  share = (name) => `${run.server.host}${run.serverPath}/${name}`;
  rule = `${run.server.host}${run.serverPath}/**`;
  await run.root.mkdir(`${run.path}/vol-a`, { mode: 0o777 });
  await run.root.mkdir(`${run.path}/vol-b`, { mode: 0o777 });
  await run.root.mkdir(`${run.path}/locked`, { mode: 0o700 });
  await run.root.mkdir(`${run.path}/locked/inner`, { mode: 0o777 });
  await run.root.writeFile(`${run.path}/plain-file`, 'not a directory');
  osb = startNfsBroker({ allowedShares: `${rule},${run.server.host}/no/such/export/**` });
});

afterAll(async () => {
  await closeBrokers();
  await run?.remove();
});

describe('create', () => {
  it('records a reachable share that the allow-list allows', async () => {
    const id = randomUUID();
    await provision(osb, EXISTING_PLAN_ID, { share: share('vol-a') }, id).expect(201, {});
    const fetched = await osb.get(`/v2/service_instances/${id}`).expect(200);
    expect(fetched.body.parameters).toEqual({ share: share('vol-a') });
  });

  it('accepts a share spelled with extra slashes and "." segments, and binds its canonical form', async () => {
    const id = randomUUID();
    await provision(osb, EXISTING_PLAN_ID, { share: `${run.server.host}/${run.serverPath}/./vol-a/` }, id).expect(201);
    const bound = await bind(osb, id, EXISTING_PLAN_ID).expect(201);
    expect(bound.body.volume_mounts[0].device.mount_config.source).toBe(`nfs://${share('vol-a')}`);
  });

  it('refuses a share outside the allow-list with 400 naming the share and the rules', async () => {
    const outside = `${run.server.host}${run.server.export}/not-this-run`;
    const response = await provision(osb, EXISTING_PLAN_ID, { share: outside }).expect(400);
    expect(response.body.error).toBe('BadRequest');
    expect(response.body.description).toContain(`The share ${outside} is not allowed`);
    expect(response.body.description).toContain(rule);
  });

  it('refuses a share that climbs out of an allowed directory with .. before any rule is consulted', async () => {
    const response = await provision(osb, EXISTING_PLAN_ID, { share: `${share('vol-a')}/../../..` }).expect(400);
    expect(response.body.description).toContain("must not contain '..' segments");
  });

  it.each([
    [{ share: '127.0.0.1:/exports/x' }, 'no colon allowed after the server'],
    [{ share: '' }, 'must not be empty'],
    [{ share: '127.0.0.1/exports/my volume' }, 'must not contain spaces'],
    [{ share: '127.0.0.1/a/../b' }, "'..'"],
    [{}, 'share is required'],
    [{ share: 42 }, '/share must be string'],
    [{ share: '127.0.0.1/x', source: 'nfs://127.0.0.1/x' }, 'source cannot be given'],
    [{ share: '127.0.0.1/x', nolock: true, soft: 'yes' }, 'not allowed options: nolock, soft'],
    [{ share: '127.0.0.1/x', uid: 0, gid: 0 }, 'uid must be a whole number from 1'],
    [{ share: '127.0.0.1/x', uid: 'abc', gid: '1000' }, 'uid must be a whole number'],
    [{ share: '127.0.0.1/x', gid: -5 }, 'gid must be a whole number'],
    [{ share: '127.0.0.1/x', readonly: 'sometimes' }, 'readonly must be true or false'],
    [{ share: '127.0.0.1/x', version: '2' }, 'version must be one of'],
    [{ share: '127.0.0.1/x', mount: '/proc/self' }, 'the mount parameter is invalid'],
  ])('refuses %j with 400', async (parameters, problem) => {
    const response = await provision(osb, EXISTING_PLAN_ID, parameters).expect(400);
    expect(response.body.error).toBe('BadRequest');
    expect(response.body.description).toContain(problem);
  });

  it('lists every problem of one request in one answer', async () => {
    const response = await provision(osb, EXISTING_PLAN_ID, { share: 'a:/b', uid: 0, nolock: true }).expect(400);
    expect(response.body.description).toContain('not allowed options: nolock');
    expect(response.body.description).toContain('uid must be');
    expect(response.body.description).toContain('no colon allowed');
  });

  it('refuses a path the export does not have with 422 naming the server and the reason', async () => {
    const response = await provision(osb, EXISTING_PLAN_ID, { share: share('missing') }).expect(422);
    expect(response.body.description).toContain(`Cannot use the share ${share('missing')} (server ${run.server.host})`);
    expect(response.body.description).toContain('the path does not exist on the server');
  });

  it('refuses a server path that is not exported with 422', async () => {
    const response = await provision(osb, EXISTING_PLAN_ID, { share: `${run.server.host}/no/such/export/x` }).expect(422);
    // NFS-Ganesha answers MNT3ERR_ACCES for paths it does not export.
    expect(response.body.description).toMatch(/permission denied: the server does not export this path|export not found/);
  });

  it('refuses a share the given uid may not read with 422 permission denied', async () => {
    const locked = await provision(osb, EXISTING_PLAN_ID, { share: share('locked'), uid: 1000, gid: 1000 }).expect(422);
    expect(locked.body.description).toContain('permission denied: uid 1000 gid 1000 may not read the directory (mode 0700, owner 0:0)');
    const inner = await provision(osb, EXISTING_PLAN_ID, { share: share('locked/inner'), uid: 1000, gid: 1000 }).expect(422);
    expect(inner.body.description).toContain('permission denied');
    expect(inner.body.description).toContain('NFS3ERR_ACCES');
    // As root (no uid given) the same share is fine: the check asks as the identity the app will use.
    await provision(osb, EXISTING_PLAN_ID, { share: share('locked/inner') }).expect(201);
  });

  it('refuses a share that is a file with 422', async () => {
    const response = await provision(osb, EXISTING_PLAN_ID, { share: share('plain-file') }).expect(422);
    expect(response.body.description).toContain('it is a file on the server, not a directory');
  });

  it('refuses a server that refuses connections with 422 naming the server and "connection refused"', async () => {
    const refusing = startNfsBroker({ allowedShares: rule, portmapPort: await closedPort() });
    const response = await provision(refusing, EXISTING_PLAN_ID, { share: share('vol-a') }).expect(422);
    expect(response.body.description).toContain(`(server ${run.server.host}): connection refused`);
  });

  it('gives up on a server that never answers within the check timeout instead of hanging', async () => {
    const hole = await blackHole();
    try {
      const hanging = startNfsBroker({ allowedShares: rule, portmapPort: hole.port, shareCheckTimeoutMs: 1500 });
      const started = Date.now();
      const response = await provision(hanging, EXISTING_PLAN_ID, { share: share('vol-a') }).expect(422);
      expect(response.body.description).toContain(`(server ${run.server.host}): the server gave no answer within 1.5 s`);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await hole.close();
    }
  });

  it('bounds the whole check, not only each call: a server that answers each call slowly is given up on at the deadline', async () => {
    const hole = await blackHole();
    // Each portmapper answer comes within the per-call limit, but two of them take longer than the whole check may.
    const slowPortmapper = await startFakeRpcServer(() => ({ reply: u32(hole.port), delayMs: 1000 }));
    try {
      const slow = startNfsBroker({ allowedShares: rule, portmapPort: slowPortmapper.port, shareCheckTimeoutMs: 1500 });
      const response = await provision(slow, EXISTING_PLAN_ID, { share: share('vol-a') }).expect(422);
      expect(response.body.description).toBe(`Cannot use the share ${share('vol-a')} (server ${run.server.host}): the server gave no answer within 1.5 s.`);
    } finally {
      await slowPortmapper.close();
      await hole.close();
    }
  });

  it('refuses every share when the allow-list is empty', async () => {
    const managedOnly = startNfsBroker({ managedShare: `nfs://${run.server.host}${run.serverPath}/vol-b` });
    const response = await provision(managedOnly, EXISTING_PLAN_ID, { share: share('vol-a') }).expect(400);
    expect(response.body.description).toContain('this broker allows no existing shares');
  });

  it('refuses a share inside the Managed plan\'s share even when the allow-list covers it', async () => {
    const both = startNfsBroker({ allowedShares: rule, managedShare: `nfs://${run.server.host}${run.serverPath}/vol-b` });
    const response = await provision(both, EXISTING_PLAN_ID, { share: share('vol-b/v-someone-else') }).expect(400);
    expect(response.body.description).toContain("lies in the Managed plan's share");
  });

  it('does not support updates, as nfsbroker', async () => {
    const id = randomUUID();
    await provision(osb, EXISTING_PLAN_ID, { share: share('vol-a') }, id).expect(201);
    await osb.patch(`/v2/service_instances/${id}`).send({ service_id: NFS_SERVICE_ID, parameters: { share: share('vol-b') } }).expect(422);
  });

  it('deprovisions by forgetting the instance; the share is untouched', async () => {
    const id = randomUUID();
    await provision(osb, EXISTING_PLAN_ID, { share: share('vol-b') }, id).expect(201);
    await run.root.writeFile(`${run.path}/vol-b/keep.txt`, 'kept');
    await deprovision(osb, id, EXISTING_PLAN_ID).expect(200);
    await deprovision(osb, id, EXISTING_PLAN_ID).expect(410);
    expect((await run.root.readFile(`${run.path}/vol-b/keep.txt`)).toString()).toBe('kept');
  });
});

describe('bind', () => {
  let instanceId: string;

  beforeAll(async () => {
    instanceId = randomUUID();
    await provision(osb, EXISTING_PLAN_ID, { share: share('vol-a') }, instanceId).expect(201);
  });

  const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

  it('answers nfsbroker\'s volume_mounts: credentials {}, string values, volume_id hashed from the options', async () => {
    const response = await bind(osb, instanceId, EXISTING_PLAN_ID, { uid: '1000', gid: 1000 }).expect(201);
    const source = `nfs://${share('vol-a')}`;
    expect(response.body).toEqual({
      credentials: {},
      volume_mounts: [
        {
          driver: 'nfsv3driver',
          container_dir: `/var/vcap/data/${instanceId}`,
          mode: 'rw',
          device_type: 'shared',
          device: {
            volume_id: `${instanceId}-${md5(`{"auto_cache":"true","gid":"1000","source":"${source}","uid":"1000"}`)}`,
            mount_config: { auto_cache: 'true', gid: '1000', source, uid: '1000' },
          },
        },
      ],
    });
    expect(validateVolumeMounts(response.body.volume_mounts, { serviceRequiresVolumeMount: true })).toMatchObject({ ok: true });
  });

  it('gives the same volume_id for the same options and another for different ones', async () => {
    const id = (response: { body: { volume_mounts: Array<{ device: { volume_id: string } }> } }): string => response.body.volume_mounts[0]!.device.volume_id;
    const first = id(await bind(osb, instanceId, EXISTING_PLAN_ID, { uid: 1000, gid: 1000 }).expect(201));
    const again = id(await bind(osb, instanceId, EXISTING_PLAN_ID, { uid: '1000', gid: '1000', readonly: false }).expect(201));
    const otherUid = id(await bind(osb, instanceId, EXISTING_PLAN_ID, { uid: 1001, gid: 1000 }).expect(201));
    const readonly = id(await bind(osb, instanceId, EXISTING_PLAN_ID, { uid: 1000, gid: 1000, readonly: true }).expect(201));
    expect(again).toBe(first);
    expect(new Set([first, otherUid, readonly]).size).toBe(3);
    for (const volumeId of [first, otherUid, readonly]) expect(volumeId).toMatch(new RegExp(`^${instanceId}-[0-9a-f]{32}$`));
  });

  it('readonly true mounts read-only and says so in mount_config; false is read-write', async () => {
    const ro = await bind(osb, instanceId, EXISTING_PLAN_ID, { readonly: true, mount: '/data/' }).expect(201);
    expect(ro.body.volume_mounts[0]).toMatchObject({ mode: 'r', container_dir: '/data', device: { mount_config: { readonly: 'true', mount: '/data' } } });
    const rw = await bind(osb, instanceId, EXISTING_PLAN_ID, { readonly: 'false' }).expect(201);
    expect(rw.body.volume_mounts[0].mode).toBe('rw');
    expect(rw.body.volume_mounts[0].device.mount_config).not.toHaveProperty('readonly');
  });

  it('takes defaults given at create and lets bind values replace them', async () => {
    const id = randomUUID();
    await provision(osb, EXISTING_PLAN_ID, { share: share('vol-a'), uid: 1000, gid: 1000, readonly: true, version: '3', mount: '/shared' }, id).expect(201);
    const plain = await bind(osb, id, EXISTING_PLAN_ID).expect(201);
    expect(plain.body.volume_mounts[0]).toMatchObject({
      mode: 'r',
      container_dir: '/shared',
      device: { mount_config: { uid: '1000', gid: '1000', readonly: 'true', version: '3', mount: '/shared' } },
    });
    const changed = await bind(osb, id, EXISTING_PLAN_ID, { uid: 2000, readonly: false, mount: '/other' }).expect(201);
    expect(changed.body.volume_mounts[0]).toMatchObject({ mode: 'rw', container_dir: '/other', device: { mount_config: { uid: '2000', gid: '1000' } } });
  });

  it.each([
    [{ share: '127.0.0.1/elsewhere' }, 'share cannot be given at bind'],
    [{ source: 'nfs://127.0.0.1/elsewhere' }, 'source cannot be given at bind'],
    [{ nolock: true }, 'not allowed options: nolock'],
    [{ uid: 1000 }, 'uid and gid go together: gid is missing'],
    [{ uid: 0, gid: 0 }, 'uid must be a whole number from 1'],
    [{ gid: 'x', uid: 1 }, 'gid must be a whole number'],
    [{ readonly: 'yes' }, 'readonly must be true or false'],
    [{ mount: 'relative/dir' }, 'must be an absolute path'],
    [{ mount: '/home/vcap/app/data' }, 'a system directory'],
    [{ mount: '/data/../etc' }, "must not contain '..' segments"],
    [{ cache: 'perhaps' }, 'cache must be true or false'],
  ])('refuses bind parameters %j with 400', async (parameters, problem) => {
    const response = await bind(osb, instanceId, EXISTING_PLAN_ID, parameters).expect(400);
    expect(response.body.error).toBe('BadRequest');
    expect(response.body.description).toContain(problem);
  });

  it('requires an app, as volumes mean nothing without one', async () => {
    const response = await osb
      .put(`/v2/service_instances/${instanceId}/service_bindings/${randomUUID()}`)
      .send({ service_id: NFS_SERVICE_ID, plan_id: EXISTING_PLAN_ID, parameters: {} })
      .expect(422);
    expect(response.body.error).toBe('RequiresApp');
  });

  it('refuses to bind a share the operator has since removed from the allow-list', async () => {
    const id = randomUUID();
    const shared = new MemoryStore();
    const before = startBroker({ broker: createNfsBroker({ allowedShares: rule }), catalog: nfsCatalogPath, store: shared }).osb;
    await provision(before, EXISTING_PLAN_ID, { share: share('vol-a') }, id).expect(201);
    const after = startBroker({ broker: createNfsBroker({ allowedShares: `${run.server.host}/somewhere/else/*` }), catalog: nfsCatalogPath, store: shared }).osb;
    const response = await bind(after, id, EXISTING_PLAN_ID).expect(422);
    expect(response.body.description).toContain(`The share ${share('vol-a')} is not allowed`);
    expect(response.body.description).toContain('the operator has since changed the allow-list');
  });

  it('answers a source through which the bound uid reads and writes the share', async () => {
    const response = await bind(osb, instanceId, EXISTING_PLAN_ID, { uid: 1000, gid: 1000 }).expect(201);
    const config = response.body.volume_mounts[0].device.mount_config as Record<string, string>;
    const client = await connectNfs(config.source!, { uid: Number(config.uid), gid: Number(config.gid), timeoutMs: 10_000 });
    try {
      await client.writeFile(`${client.urlPath}/written-by-app.txt`, 'hello');
    } finally {
      await client.close();
    }
    const written = await run.root.stat(`${run.path}/vol-a/written-by-app.txt`);
    expect({ uid: written.uid, gid: written.gid }).toEqual({ uid: 1000, gid: 1000 });
  });
});
