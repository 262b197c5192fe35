import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendantsOf, REPO_ROOT, waitFor } from '../../support/process';
import { listenSloppyBroker } from '../../support/sloppy-broker';

/**
 * `osbkit check URL` as a user runs it: against a broker written without osbkit that cuts
 * corners (every defect caught, exit 1), against a bundled osbkit broker (exit 0), and with
 * options it must refuse.
 */

jest.setTimeout(180_000);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function osbkit(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'osbkit'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

interface JsonReport {
  results: Array<{ id: string; plan?: string; outcome: string; messages: string[] }>;
  summary: { passed: number; failed: number; warned: number; skipped: number };
}

describe('against a sloppy broker written without osbkit', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    ({ server, url } = await listenSloppyBroker());
  });

  afterAll(() => {
    server.close();
    server.closeAllConnections();
  });

  it('catches each of its defects, reports them as JSON with --json, and exits 1', async () => {
    const run = await osbkit(['--json', 'check', url, '--username', 'platform', '--password', 's3cret', '--plan', 'basic']);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as JsonReport;
    const failed = new Set(report.results.filter((r) => r.outcome === 'failed').map((r) => r.id));
    // The defects, numbered as in test/support/sloppy-broker.ts.
    const caught: Record<string, string> = {
      'auth.basic': '1 no authentication',
      'provision.conflict': '2 no 409 for a conflicting provision',
      'provision.missing-fields': '3 no check of required fields',
      'provision.unknown-ids': '3 no check of the catalog\'s ids',
      'provision.malformed': '4 a 500 with a stack trace for a body that is not JSON',
      'deprovision.unknown': '5 200 for deleting an unknown instance',
      'unbind.unknown': '5 200 for deleting an unknown binding',
      'last-operation.unknown': '6 last_operation succeeds for anything',
      'provision.maintenance-info': '7 maintenance_info ignored',
      'bind.conflict': '8 binds never conflict',
      'hostile.ids': '9 error bodies with a lower-case error and an empty description',
      'idempotency.concurrent': '10 concurrent identical provisions each create',
    };
    expect(Object.entries(caught).filter(([id]) => !failed.has(id))).toEqual([]);
    expect(report.summary.failed).toBe(report.results.filter((r) => r.outcome === 'failed').length);
    const malformed = report.results.find((r) => r.id === 'provision.malformed')!;
    expect(malformed.messages.join('\n')).toMatch(/answered 500, expected 400/);
    expect(malformed.messages.join('\n')).toMatch(/stack trace/);
    const warned = new Set(report.results.filter((r) => r.outcome === 'warned').map((r) => r.id));
    expect([...warned]).toEqual(expect.arrayContaining(['provision.repeat', 'headers.request-identity']));
  });

  it('prints a readable report, with a progress line per check on a pipe', async () => {
    const run = await osbkit(['check', url, '--username', 'platform', '--password', 's3cret', '--plan', 'sloppy/basic', '--check', 'provision.', '--check', 'auth.basic']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^OSB 2\.17 conformance of http:\/\/127\.0\.0\.1:\d+\/\nplans: sloppy\/basic\n/);
    expect(run.stdout).toMatch(/^FAILED {2}provision\.conflict \[sloppy\/basic\]: a provision of an existing id with other attributes answers 409/m);
    expect(run.stdout).toMatch(/^ {8}a provision of existing \S+ with plan sloppy\/premium: PUT \/v2\/service_instances\/\S+ answered 201, expected 409/m);
    expect(run.stdout).toMatch(/^WARNING provision\.repeat \[sloppy\/basic\]/m);
    expect(run.stdout).toMatch(/^\d+ passed, [1-9]\d* failed, \d+ warnings, \d+ skipped \(\d+\.\d s\)$/m);
    const progress = run.stderr.split('\n').filter((line) => line.startsWith('['));
    expect(progress[0]).toMatch(/^\[1\/\d+\] auth\.basic FAIL$/);
    expect(progress.length).toBeGreaterThan(5);
    expect(progress.every((line) => /^\[\d+\/\d+\] \S+( \[sloppy\/basic\])? (ok {2}|FAIL|warn|skip)$/.test(line))).toBe(true);
  });
});

describe('against a bundled osbkit broker', () => {
  let home: string;
  let url: string;
  let child: ReturnType<typeof spawn>;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'osbkit-check-home-'));
    child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'osbkit'), 'broker', 'local', '--port', '0', '--username', 'platform', '--password', 's3cret'], {
      env: { ...process.env, OSBKIT_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    url = await waitFor(() => /"url":"(http:\/\/[^"]+)".*broker listening/.exec(output)?.[1], 'the local broker to listen', 30_000);
  });

  afterAll(() => {
    for (const pid of [...descendantsOf(child.pid!), child.pid!]) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('passes every check and exits 0', async () => {
    const run = await osbkit(['--json', 'check', url, '--username', 'platform', '--password', 's3cret', '--sync']);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.results.filter((r) => r.outcome === 'failed' || r.outcome === 'warned')).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(20);
    expect(run.status).toBe(0);
  });

  it('takes the credentials from the environment, and fails auth.basic without them as a wrong password', async () => {
    const run = await osbkit(['--json', 'check', url, '--check', 'auth.basic', '--check', 'catalog.valid'], { OSBKIT_BROKER_USERNAME: 'platform', OSBKIT_BROKER_PASSWORD: 's3cret' });
    expect(run.status).toBe(0);
    const wrong = await osbkit(['--json', 'check', url, '--check', 'catalog.valid', '--username', 'platform', '--password', 'nope']);
    expect(wrong.status).toBe(1);
    expect((JSON.parse(wrong.stdout) as JsonReport).results[0]!.messages.join()).toMatch(/answered 401, expected 200/);
  });

  it.each<[string, string[], RegExp]>([
    ['a URL that is not one', ['check', 'not a url'], /"not a url" is not a URL/],
    ['--parameters that are not an object', ['check', 'URL', '--parameters', '[1]'], /--parameters must be a JSON object/],
    ['--async with --sync', ['check', 'URL', '--async', '--sync'], /--async and --sync contradict each other/],
    ['a plan the catalog does not have', ['check', 'URL', '--username', 'platform', '--password', 's3cret', '--plan', 'no-such-plan'], /the catalog has no plan "no-such-plan"; it has local-volume\/free/],
    ['a config file with an unknown option', ['check', 'URL', '--config', 'CONFIG'], /plans\.free\.parametres is not an option/],
  ])('refuses %s with a clear message and exit 1', async (_what, args, message) => {
    const config = join(home, 'check.json');
    writeFileSync(config, JSON.stringify({ plans: { free: { parametres: {} } } }));
    const run = await osbkit(args.map((arg) => (arg === 'URL' ? url : arg === 'CONFIG' ? config : arg)));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
  });

  it('says which broker it cannot reach', async () => {
    const run = await osbkit(['check', 'http://127.0.0.1:9', '--check', 'catalog.valid']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/GET \/v2\/catalog: ECONNREFUSED/);
  });
});
