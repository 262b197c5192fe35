import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEfsEmulator, type RunningEfsEmulator } from '../../../platform/efs-emulator';
import { makeNfsRunDir, type NfsRunDir } from '../../support/nfs-server';
import { descendantsOf, REPO_ROOT, waitFor } from '../../support/process';
import { adminUrl, MysqlTestRun } from '../mysql/support';

/**
 * Every bundled broker (local, mysql, nfs, efs) passes `osbkit check`, strictly (SHOULD-level findings fail too), as
 * `osbkit broker NAME` runs it, and again with --async: every operation answers 202 and stays
 * in progress half a second before the broker does it, the test target platforms get (one
 * plan each, for time). The MySQL and
 * NFS brokers run against the shared MariaDB and NFS-Ganesha, the EFS broker against the EFS
 * emulator; each run makes its ids with a prefix of its own and removes what carries it.
 */

jest.setTimeout(900_000);

const CREDENTIALS = ['--username', 'platform', '--password', 'check-secret'];

interface JsonReport {
  results: Array<{ id: string; plan?: string; outcome: string; messages: string[] }>;
  summary: { passed: number; failed: number; warned: number; skipped: number };
}

interface Running {
  url: string;
  stop(): Promise<void>;
}

let home: string;
/** For async runs: poll every 200 ms rather than the 1 s Retry-After the brokers ask for, to keep the run short. */
let quickPolls: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'osbkit-check-bundled-'));
  quickPolls = join(home, 'quick-polls.json');
  writeFileSync(quickPolls, JSON.stringify({ maxPollIntervalMs: 200 }));
});

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

async function startBroker(name: string, args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'osbkit'), 'broker', name, '--port', '0', ...CREDENTIALS, '--scan-ms', '1000', ...args], {
    env: { ...process.env, OSBKIT_HOME: join(home, `${name}-${args.includes('--async') ? 'async' : 'sync'}`), OSBKIT_NFS_ALLOWED_SHARES: '', OSBKIT_NFS_MANAGED_SHARE: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  /** SIGTERM, and SIGKILL for whatever still runs after 10 s: a broker that lingers must not hold up the test. */
  const stop = async (): Promise<void> => {
    const signal = (name: NodeJS.Signals): void => {
      for (const pid of [...descendantsOf(child.pid!), child.pid!]) {
        try {
          process.kill(pid, name);
        } catch {
          // gone
        }
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`osbkit broker ${name} exited: ${output}`);
      return /"url":"(http:\/\/[^"]+)".*broker listening/.exec(output)?.[1];
    }, `osbkit broker ${name} to listen`, 30_000);
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function check(url: string, args: string[]): Promise<{ status: number | null; report: JsonReport; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'osbkit'), '--json', 'check', url, ...CREDENTIALS, '--strict', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => {
      try {
        resolve({ status, report: JSON.parse(stdout) as JsonReport, stderr });
      } catch {
        reject(new Error(`osbkit check printed no report (exit ${status}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** No failure and no warning; and the checks that need asynchronous answers ran, not skipped. */
async function expectConformant(url: string, args: string[], mode: 'sync' | 'async'): Promise<JsonReport> {
  const { status, report } = await check(url, [mode === 'async' ? '--async' : '--sync', ...args]);
  expect(report.results.filter((r) => r.outcome === 'failed' || r.outcome === 'warned')).toEqual([]);
  expect(status).toBe(0);
  const ran = (id: string): boolean => report.results.some((r) => r.id === id && r.outcome === 'passed');
  for (const id of ['catalog.valid', 'auth.basic', 'provision.create', 'provision.missing-fields', 'deprovision.delete', 'hostile.ids', 'idempotency.concurrent']) {
    expect([id, ran(id)]).toEqual([id, true]);
  }
  const asyncOnly = ['provision.async-required', 'provision.in-progress', 'deprovision.in-progress', 'deprovision.during-provision'];
  for (const id of asyncOnly) expect([id, mode, ran(id)]).toEqual([id, mode, mode === 'async']);
  return report;
}

describe('osbkit broker --async', () => {
  it.each<[string[], string]>([
    [['--delay', '2'], '--delay needs --async.'],
    [['--async', '--delay', '-1'], '--delay must be a number of seconds from 0 to 3600, not "-1".'],
    [['--async', '--delay', 'soon'], '--delay must be a number of seconds from 0 to 3600, not "soon".'],
  ])('refuses %j', async (args, message) => {
    const run = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'osbkit'), 'broker', 'local', '--port', '0', ...CREDENTIALS, ...args], { env: { ...process.env, OSBKIT_HOME: join(home, 'refused') } });
    let stderr = '';
    run.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => run.on('close', resolve));
    expect(status).toBe(1);
    expect(stderr).toContain(message);
  });
});

describe('local', () => {
  it('passes in sync mode, every plan, plan changes included', async () => {
    const broker = await startBroker('local', ['--volumes-root', join(home, 'volumes-sync')]);
    try {
      const report = await expectConformant(broker.url, [], 'sync');
      expect(report.results.filter((r) => r.id === 'update.plan-change').map((r) => [r.plan, r.outcome])).toEqual([['local-volume/free', 'passed'], ['local-volume/read-only', 'passed']]);
      expect(report.results.find((r) => r.id === 'update.maintenance-info' && r.outcome === 'passed')).toBeDefined();
    } finally {
      await broker.stop();
    }
  });

  it('passes in async mode', async () => {
    const broker = await startBroker('local', ['--volumes-root', join(home, 'volumes-async'), '--async', '--delay', '0.1']);
    try {
      const report = await expectConformant(broker.url, ['--config', quickPolls, '--plan', 'free'], 'async');
      expect(report.results.filter((r) => ['bind.in-progress', 'unbind.in-progress', 'update.in-progress'].includes(r.id)).every((r) => r.outcome === 'passed')).toBe(true);
    } finally {
      await broker.stop();
    }
  });
});

describe('mysql', () => {
  let run: MysqlTestRun;

  beforeAll(async () => {
    run = await MysqlTestRun.start();
  });

  afterAll(async () => {
    // What the checks made, they deleted: only the broker's own state database is left.
    const left = await run?.leftovers();
    await run?.cleanup();
    expect(left).toEqual({ databases: [run.stateDatabase], users: [] });
  });

  it('passes in sync mode, every plan', async () => {
    const broker = await startBroker('mysql', [], { MYSQL_URL: `${adminUrl()}/${run.stateDatabase}` });
    try {
      await expectConformant(broker.url, ['--id-prefix', run.prefix], 'sync');
    } finally {
      await broker.stop();
    }
  });

  it('passes in async mode', async () => {
    const broker = await startBroker('mysql', ['--async', '--delay', '0.1'], { MYSQL_URL: `${adminUrl()}/${run.stateDatabase}` });
    try {
      await expectConformant(broker.url, ['--id-prefix', run.prefix, '--plan', 'small', '--config', quickPolls], 'async');
    } finally {
      await broker.stop();
    }
  });
});

describe('nfs', () => {
  let run: NfsRunDir;
  let config: string;
  let flags: string[];

  beforeAll(async () => {
    run = await makeNfsRunDir('check');
    await run.root.mkdir(`${run.path}/shares/a`, { recursive: true, mode: 0o777 });
    await run.root.mkdir(`${run.path}/managed`, { mode: 0o755 });
    flags = ['--allowed-shares', `${run.server.host}${run.serverPath}/shares/*`, '--managed-share', `nfs://${run.server.host}${run.serverPath}/managed`];
    config = join(home, 'nfs-check.json');
    writeFileSync(config, JSON.stringify({
      maxPollIntervalMs: 200,
      plans: {
        Existing: { parameters: { share: `${run.server.host}${run.serverPath}/shares/a` }, bindParameters: { uid: 1000, gid: 1000 } },
        Managed: { parameters: { uid: 1000, gid: 1000 } },
      },
    }));
  });

  afterAll(async () => {
    await run?.remove();
  });

  it('passes in sync mode, both plans', async () => {
    const broker = await startBroker('nfs', flags);
    try {
      await expectConformant(broker.url, ['--config', config], 'sync');
    } finally {
      await broker.stop();
    }
  });

  it('passes in async mode', async () => {
    const broker = await startBroker('nfs', [...flags, '--async', '--delay', '0.1']);
    try {
      await expectConformant(broker.url, ['--config', config, '--plan', 'Managed'], 'async');
    } finally {
      await broker.stop();
    }
  });
});

describe('efs', () => {
  let emulator: RunningEfsEmulator;
  let flags: string[];
  const env = { AWS_ACCESS_KEY_ID: 'AKIDOSBKITTEST', AWS_SECRET_ACCESS_KEY: 'osbkit-test-dummy-secret', AWS_EC2_METADATA_DISABLED: 'true', AWS_PROFILE: '' };
  // Its access points take the app's uid and gid.
  const bindParameters = ['--bind-parameters', JSON.stringify({ uid: 1000, gid: 1000 })];

  beforeAll(async () => {
    emulator = await startEfsEmulator({ creationDelayMs: 100, deletionDelayMs: 100 });
    flags = ['--region', emulator.region, '--endpoint', emulator.url, '--subnet-ids', 'subnet-00000001,subnet-00000002', '--security-group-ids', 'sg-0123456789abcdef0'];
  });

  afterAll(async () => {
    await emulator?.close();
  });

  // Its provisions and deprovisions are asynchronous by nature: the suite follows them either way.
  it('passes as it is, asynchronous where EFS is', async () => {
    const broker = await startBroker('efs', flags, env);
    try {
      const { status, report } = await check(broker.url, ['--plan', 'generalPurpose', '--config', quickPolls, ...bindParameters]);
      expect(report.results.filter((r) => r.outcome === 'failed' || r.outcome === 'warned')).toEqual([]);
      expect(status).toBe(0);
      expect(report.summary.passed).toBeGreaterThan(30);
    } finally {
      await broker.stop();
    }
  });

  it('passes in async mode', async () => {
    const broker = await startBroker('efs', [...flags, '--async', '--delay', '0.1'], env);
    try {
      await expectConformant(broker.url, ['--plan', 'generalPurpose', '--config', quickPolls, ...bindParameters], 'async');
    } finally {
      await broker.stop();
    }
  });
});
