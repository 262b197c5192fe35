import { randomUUID } from 'node:crypto';
import { createNfsBroker, nfsCatalogPath } from '../../../brokers/nfs';
import { MemoryStore } from '../../../sdk';
import { connectNfs, isNfsError, localVolumeDirName, Nfs3Status } from '../../../sdk/volume';
import { closeBrokers, startBroker, type Osb } from '../../support/osb-harness';
import { makeNfsRunDir, type NfsRunDir } from '../../support/nfs-server';
import { bind, closedPort, deprovision, EXISTING_PLAN_ID, MANAGED_PLAN_ID, nfsLs, provision, startNfsBroker } from './support';

/**
 * Plan Managed against the shared NFS-Ganesha: a directory per instance on the operator's
 * share, owned by the instance's uid and gid with mode 0770, removed with the instance. What
 * the broker made is looked at through our client and through libnfs's nfs-ls.
 */

let run: NfsRunDir;
let osb: Osb;
/** Path of the managed base directory inside the export. */
let base: string;
let managedUrl: string;

beforeAll(async () => {
  run = await makeNfsRunDir('nfsbroker-managed');
  base = `${run.path}/managed`;
  await run.root.mkdir(base, { mode: 0o755 });
  managedUrl = `nfs://${run.server.host}${run.serverPath}/managed?nfsport=${run.server.nfsPort}&mountport=${run.server.mountPort}`;
  osb = startNfsBroker({ managedShare: managedUrl });
});

afterAll(async () => {
  await closeBrokers();
  await run?.remove();
});

const instanceDir = (instanceId: string): string => `${base}/${localVolumeDirName(instanceId)}`;
const listing = (): Promise<string> => nfsLs(run.url('managed'));

describe('provision', () => {
  it('makes a directory for the instance owned by uid:gid with mode 0770', async () => {
    const id = randomUUID();
    await provision(osb, MANAGED_PLAN_ID, { uid: 1000, gid: '1001' }, id).expect(201, {});
    const made = await run.root.stat(instanceDir(id));
    expect({ type: made.type, uid: made.uid, gid: made.gid, mode: made.mode & 0o7777 }).toEqual({ type: 'directory', uid: 1000, gid: 1001, mode: 0o770 });
    // The same, seen by libnfs: "drwxrwx--- <links> 1000 1001 <size> v-<id>".
    expect(await listing()).toMatch(new RegExp(`^drwxrwx--- +\\d+ +1000 +1001 +\\d+ ${localVolumeDirName(id)}$`, 'm'));
  });

  it('binds to the directory, with the owner as the default identity, and only that identity may use it', async () => {
    const id = randomUUID();
    await provision(osb, MANAGED_PLAN_ID, { uid: 1000, gid: 1001, mount: '/data' }, id).expect(201);
    const response = await bind(osb, id, MANAGED_PLAN_ID).expect(201);
    const source = `nfs://${run.server.host}${run.serverPath}/managed/${localVolumeDirName(id)}`;
    expect(response.body.volume_mounts[0]).toMatchObject({
      driver: 'nfsv3driver',
      container_dir: '/data',
      mode: 'rw',
      device_type: 'shared',
      device: { mount_config: { auto_cache: 'true', source, uid: '1000', gid: '1001', mount: '/data' } },
    });
    const owner = await connectNfs(source, { uid: 1000, gid: 1001, timeoutMs: 10_000 });
    const stranger = await connectNfs(source, { uid: 2000, gid: 2000, timeoutMs: 10_000 });
    try {
      await owner.writeFile(`${owner.urlPath}/mine.txt`, 'written by the owner');
      await expect(stranger.readdir(stranger.urlPath)).rejects.toMatchObject({ code: 'NFS3ERR_ACCES' });
    } finally {
      await owner.close();
      await stranger.close();
    }
  });

  it('adopts its own directory when a repeated provision finds it made, and puts owner and mode right', async () => {
    const id = randomUUID();
    // As a crashed first attempt would leave it: made, not yet given away.
    await run.root.mkdir(instanceDir(id), { mode: 0o755 });
    await run.root.writeFile(`${instanceDir(id)}/left-over.txt`, 'x');
    await provision(osb, MANAGED_PLAN_ID, { uid: 1234, gid: 1234 }, id).expect(201);
    const made = await run.root.stat(instanceDir(id));
    expect({ uid: made.uid, gid: made.gid, mode: made.mode & 0o7777 }).toEqual({ uid: 1234, gid: 1234, mode: 0o770 });
    expect(await run.root.exists(`${instanceDir(id)}/left-over.txt`)).toBe(true);
  });

  it('refuses to adopt something that is not a directory', async () => {
    const id = randomUUID();
    await run.root.symlink('/etc', instanceDir(id));
    const response = await provision(osb, MANAGED_PLAN_ID, { uid: 1000, gid: 1000 }, id).expect(503);
    expect(response.body.description).toContain('exists and is a symlink, not a directory');
    expect((await run.root.stat(instanceDir(id))).type).toBe('symlink');
    // The platform's orphan-mitigating delete of that failed create removes what is at the name, as a link.
    await deprovision(osb, id, MANAGED_PLAN_ID).expect(200);
    expect(await run.root.exists(instanceDir(id))).toBe(false);
  });

  it.each([
    [{}, 'the Managed plan needs uid and gid'],
    [{ uid: 1000 }, 'the Managed plan needs uid and gid'],
    [{ uid: 0, gid: 0 }, 'uid must be a whole number from 1'],
    [{ uid: 'root', gid: 1 }, 'uid must be a whole number'],
    [{ uid: 1000, gid: 1000, share: '127.0.0.1/x' }, 'share is not taken by the Managed plan'],
    [{ uid: 1000, gid: 1000, source: 'nfs://127.0.0.1/x' }, 'source cannot be given'],
    [{ uid: 1000, gid: 1000, nolock: true }, 'not allowed options: nolock'],
    [{ uid: 1000, gid: 1000, mount: '/dev/shm' }, 'the mount parameter is invalid'],
  ])('refuses %j with 400 and makes nothing', async (parameters, problem) => {
    const id = randomUUID();
    const response = await provision(osb, MANAGED_PLAN_ID, parameters, id).expect(400);
    expect(response.body.description).toContain(problem);
    expect(await run.root.exists(instanceDir(id))).toBe(false);
  });

  it('is not available on a broker without a managed share', async () => {
    const existingOnly = startNfsBroker({ allowedShares: `${run.server.host}${run.serverPath}/**` });
    const response = await provision(existingOnly, MANAGED_PLAN_ID, { uid: 1000, gid: 1000 }).expect(422);
    expect(response.body.description).toContain('the operator has configured no managed share');
  });

  it('answers 503 naming the share and the reason when the managed server cannot be reached', async () => {
    const port = await closedPort();
    const down = startNfsBroker({ managedShare: `nfs://${run.server.host}${run.serverPath}/managed?nfsport=${port}&mountport=${port}` });
    const response = await provision(down, MANAGED_PLAN_ID, { uid: 1000, gid: 1000 }).expect(503);
    expect(response.body.description).toContain(`Cannot create the instance's directory on the managed share ${run.server.host}${run.serverPath}/managed: connection refused`);
  });

  it('answers 503 when the managed share path does not exist', async () => {
    const missing = startNfsBroker({ managedShare: `nfs://${run.server.host}${run.serverPath}/not-made` });
    const response = await provision(missing, MANAGED_PLAN_ID, { uid: 1000, gid: 1000 }).expect(503);
    expect(response.body.description).toContain('the path does not exist on the server');
  });
});

describe('deprovision', () => {
  it('removes the directory and everything in it, never following a symbolic link out of it', async () => {
    const id = randomUUID();
    await provision(osb, MANAGED_PLAN_ID, { uid: 1000, gid: 1000 }, id).expect(201);
    const outside = `${run.path}/outside-${id}`;
    await run.root.mkdir(outside);
    await run.root.writeFile(`${outside}/keep.txt`, 'must survive');
    const dir = instanceDir(id);
    await run.root.mkdir(`${dir}/a/b/c`, { recursive: true });
    await run.root.writeFile(`${dir}/a/b/c/file.txt`, 'data');
    await run.root.symlink(`../../outside-${id}`, `${dir}/link-to-outside`);
    await run.root.symlink(`${run.server.export}${outside}`, `${dir}/a/absolute-link`);

    await deprovision(osb, id, MANAGED_PLAN_ID).expect(200, {});
    expect(await run.root.exists(dir)).toBe(false);
    expect(await listing()).not.toContain(localVolumeDirName(id));
    expect((await run.root.readFile(`${outside}/keep.txt`)).toString()).toBe('must survive');
  });

  it('answers 410 when repeated, and when the directory is already gone', async () => {
    const id = randomUUID();
    await provision(osb, MANAGED_PLAN_ID, { uid: 1000, gid: 1000 }, id).expect(201);
    await deprovision(osb, id, MANAGED_PLAN_ID).expect(200);
    await deprovision(osb, id, MANAGED_PLAN_ID).expect(410, {});

    const other = randomUUID();
    await provision(osb, MANAGED_PLAN_ID, { uid: 1000, gid: 1000 }, other).expect(201);
    await run.root.rm(instanceDir(other), { recursive: true });
    await deprovision(osb, other, MANAGED_PLAN_ID).expect(410, {});
  });

  it('removes the directory from the share it was made on, even after the operator moved the managed share', async () => {
    const store = new MemoryStore();
    const id = randomUUID();
    const first = startBroker({ broker: createNfsBroker({ managedShare: managedUrl }), catalog: nfsCatalogPath, store }).osb;
    await provision(first, MANAGED_PLAN_ID, { uid: 1000, gid: 1000 }, id).expect(201);
    await run.root.mkdir(`${run.path}/managed-2`);
    const moved = startBroker({ broker: createNfsBroker({ managedShare: `nfs://${run.server.host}${run.serverPath}/managed-2` }), catalog: nfsCatalogPath, store }).osb;
    await deprovision(moved, id, MANAGED_PLAN_ID).expect(200);
    expect(await run.root.exists(instanceDir(id))).toBe(false);
  });

  it('files the app wrote as its own uid are removed too', async () => {
    const id = randomUUID();
    await provision(osb, MANAGED_PLAN_ID, { uid: 1000, gid: 1000 }, id).expect(201);
    const app = await connectNfs(`nfs://${run.server.host}${run.server.export}${instanceDir(id)}`, { uid: 1000, gid: 1000, timeoutMs: 10_000 });
    try {
      await app.mkdir(`${app.urlPath}/private`, { mode: 0o700 });
      await app.writeFile(`${app.urlPath}/private/secret.txt`, 'x', { mode: 0o600 });
    } finally {
      await app.close();
    }
    await deprovision(osb, id, MANAGED_PLAN_ID).expect(200);
    const gone = await run.root.stat(instanceDir(id)).then(() => undefined, (error: unknown) => error);
    expect(isNfsError(gone, Nfs3Status.NFS3ERR_NOENT)).toBe(true);
  });

  it('leaves an Existing instance\'s share alone', async () => {
    const both = startNfsBroker({ managedShare: managedUrl, allowedShares: `${run.server.host}${run.serverPath}/keep-*` });
    await run.root.mkdir(`${run.path}/keep-me`);
    await run.root.writeFile(`${run.path}/keep-me/file`, 'x');
    const id = randomUUID();
    await provision(both, EXISTING_PLAN_ID, { share: `${run.server.host}${run.serverPath}/keep-me` }, id).expect(201);
    await deprovision(both, id, EXISTING_PLAN_ID).expect(200);
    expect(await run.root.exists(`${run.path}/keep-me/file`)).toBe(true);
  });
});
