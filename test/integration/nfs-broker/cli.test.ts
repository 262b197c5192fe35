import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBrokerNames } from '../../../cli/bundled-brokers';
import { localVolumeDirName } from '../../../sdk/volume';
import { Osb } from '../../support/osb-harness';
import { makeNfsRunDir, type NfsRunDir } from '../../support/nfs-server';
import { freePort, REPO_ROOT, startNode, waitFor, type RunningProcess } from '../../support/process';
import { bind, deprovision, EXISTING_PLAN_ID, MANAGED_PLAN_ID, provision } from './support';

/** `osbkit broker nfs` as an operator runs it: flags or environment, --help, refusals, state that outlives a restart. */

jest.setTimeout(60_000);

const CREDENTIALS = { username: 'platform', password: 'nfs-cli-secret' };
/** The child's environment without any NFS configuration this machine's shell may have. */
const BASE_ENV = { OSBKIT_NFS_ALLOWED_SHARES: '', OSBKIT_NFS_MANAGED_SHARE: '', OSBKIT_LOG_LEVEL: 'warn', OSBKIT_BROKER_USERNAME: CREDENTIALS.username, OSBKIT_BROKER_PASSWORD: CREDENTIALS.password };

function osbkit(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bin', 'osbkit'), ...args], { env: { ...process.env, ...BASE_ENV, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

let run: NfsRunDir;
let stateDir: string;
const running: RunningProcess[] = [];

beforeAll(async () => {
  run = await makeNfsRunDir('nfsbroker-cli');
  await run.root.mkdir(`${run.path}/shares/a`, { recursive: true });
  await run.root.mkdir(`${run.path}/managed`);
  stateDir = mkdtempSync(join(tmpdir(), 'osbkit-nfs-broker-cli-'));
});

afterAll(async () => {
  for (const proc of running) {
    if (proc.child.exitCode === null) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  }
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  await run?.remove();
});

async function startNfsBrokerProcess(args: string[], env: Record<string, string> = {}): Promise<{ proc: RunningProcess; osb: Osb }> {
  const port = await freePort();
  const proc = startNode(join('bin', 'osbkit'), ['broker', 'nfs', '--port', String(port), '--state-dir', stateDir, ...args], { ...BASE_ENV, ...env });
  running.push(proc);
  const osb = new Osb(`http://127.0.0.1:${port}`, CREDENTIALS);
  await waitFor(async () => (await osb.get('/v2/catalog')).status === 200, `osbkit broker nfs\n${proc.output()}`, 30_000);
  return { proc, osb };
}

async function stop(proc: RunningProcess): Promise<void> {
  proc.child.kill('SIGTERM');
  await proc.exited;
}

describe('osbkit broker nfs', () => {
  it('explains its NFS flags in --help', async () => {
    const help = await osbkit(['broker', 'nfs', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--allowed-shares <rules>');
    expect(help.stdout).toContain('--managed-share <url>');
    expect(help.stdout).toContain('OSBKIT_NFS_ALLOWED_SHARES');
    expect(help.stdout).toContain('osbkit broker nfs --port 8080');
  });

  it('refuses to start without shares to offer', async () => {
    const result = await osbkit(['broker', 'nfs', '--port', '0', '--state-dir', stateDir]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('The NFS broker needs --allowed-shares (or OSBKIT_NFS_ALLOWED_SHARES)');
  });

  it('refuses to start with a malformed rule or managed share, naming it', async () => {
    const rule = await osbkit(['broker', 'nfs', '--port', '0', '--state-dir', stateDir, '--allowed-shares', '10.0.0.5/a,10.0.0.5/../etc']);
    expect(rule.code).not.toBe(0);
    expect(rule.stderr).toContain(`share rule "10.0.0.5/../etc" must not contain '..' segments`);
    const managed = await osbkit(['broker', 'nfs', '--port', '0', '--state-dir', stateDir, '--managed-share', '10.0.0.5:/exports']);
    expect(managed.code).not.toBe(0);
    expect(managed.stderr).toContain('the managed share "10.0.0.5:/exports" is not usable');
  });

  it('serves both plans from its flags, and keeps its instances across a restart', async () => {
    const flags = ['--allowed-shares', `${run.server.host}${run.serverPath}/shares/*`, '--managed-share', `nfs://${run.server.host}${run.serverPath}/managed`];
    const first = await startNfsBrokerProcess(flags);
    const catalog = await first.osb.get('/v2/catalog').expect(200);
    expect(catalog.body.services[0]).toMatchObject({ name: 'nfs', requires: ['volume_mount'] });
    expect(catalog.body.services[0].plans.map((plan: { name: string }) => plan.name)).toEqual(['Existing', 'Managed']);

    const existing = randomUUID();
    const managed = randomUUID();
    await provision(first.osb, EXISTING_PLAN_ID, { share: `${run.server.host}${run.serverPath}/shares/a` }, existing).expect(201);
    await provision(first.osb, MANAGED_PLAN_ID, { uid: 1000, gid: 1000 }, managed).expect(201);
    await stop(first.proc);

    const second = await startNfsBrokerProcess(flags);
    const bound = await bind(second.osb, existing, EXISTING_PLAN_ID, { uid: 1000, gid: 1000 }).expect(201);
    expect(bound.body.volume_mounts[0].device.mount_config.source).toBe(`nfs://${run.server.host}${run.serverPath}/shares/a`);
    await deprovision(second.osb, managed, MANAGED_PLAN_ID).expect(200);
    expect(await run.root.exists(`${run.path}/managed/${localVolumeDirName(managed)}`)).toBe(false);
    await stop(second.proc);
  });

  it('reads its configuration from the environment when no flag is given', async () => {
    const { proc, osb } = await startNfsBrokerProcess([], { OSBKIT_NFS_ALLOWED_SHARES: `${run.server.host}${run.serverPath}/shares/**` });
    await provision(osb, EXISTING_PLAN_ID, { share: `${run.server.host}${run.serverPath}/shares/a` }).expect(201);
    const managed = await provision(osb, MANAGED_PLAN_ID, { uid: 1000, gid: 1000 }).expect(422);
    expect(managed.body.description).toContain('no managed share');
    await stop(proc);
  });
});

describe('osbkit up', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['OSBKIT_NFS_ALLOWED_SHARES', 'OSBKIT_NFS_MANAGED_SHARE', 'MYSQL_URL']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('runs the NFS broker when OSBKIT_NFS_ALLOWED_SHARES or OSBKIT_NFS_MANAGED_SHARE is set, and not otherwise', () => {
    delete process.env.MYSQL_URL;
    delete process.env.OSBKIT_NFS_ALLOWED_SHARES;
    delete process.env.OSBKIT_NFS_MANAGED_SHARE;
    expect(defaultBrokerNames()).toEqual(['local']);
    process.env.OSBKIT_NFS_ALLOWED_SHARES = '10.0.0.5/exports/*';
    expect(defaultBrokerNames()).toEqual(['local', 'nfs']);
    delete process.env.OSBKIT_NFS_ALLOWED_SHARES;
    process.env.OSBKIT_NFS_MANAGED_SHARE = 'nfs://10.0.0.5/exports/managed';
    expect(defaultBrokerNames()).toEqual(['local', 'nfs']);
    process.env.OSBKIT_NFS_MANAGED_SHARE = '  ';
    expect(defaultBrokerNames()).toEqual(['local']);
  });
});
