import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scaffoldBroker } from '../../../cli/commands/new';
import { installOffline, outsideTempDir, packOsbkit, runIn, writeOfflineLock } from '../../support/offline-install';
import { descendantsOf, waitFor } from '../../support/process';

/**
 * `osbkit new broker NAME`, run from the installed package as a user runs it: the project it
 * writes installs (osbkit from the packed tarball, the rest without the registry), its tests
 * pass at once, and the broker it builds runs and passes `osbkit check`.
 */

jest.setTimeout(300_000);

let work: string;
let tools: string;
let tarball: string;

beforeAll(async () => {
  work = outsideTempDir('osbkit-scaffold-');
  tarball = (await packOsbkit(work)).path;
  // A folder where the user ran `npm install osbkit`, to have the command.
  tools = join(work, 'tools');
  mkdirSync(tools);
  writeFileSync(join(tools, 'package.json'), JSON.stringify({ name: 'tools', version: '1.0.0', private: true, dependencies: { osbkit: '0.1.0' } }));
  writeOfflineLock(tools, tarball);
  await installOffline(tools);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

it('writes a project that installs, passes its own tests, and runs a broker that passes osbkit check', async () => {
  const osbkit = join(tools, 'node_modules', '.bin', 'osbkit');
  const created = await runIn(work, osbkit, ['new', 'broker', 'demo-broker']);
  expect(created.stdout).toMatch(/^Created .*\/demo-broker:\n {2}\.gitignore\n {2}README\.md\n {2}package\.json\n {2}src\/broker\.ts\n {2}src\/catalog\.ts\n {2}src\/main\.ts\n {2}test\/broker\.test\.ts\n {2}tsconfig\.json\n/);
  const project = join(work, 'demo-broker');
  const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
  expect(manifest).toMatchObject({ name: 'demo-broker', dependencies: { osbkit: '0.1.0' } });

  writeOfflineLock(project, tarball);
  await installOffline(project);
  const { stdout } = await runIn(project, 'npm', ['test']);
  const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(stdout)?.[1] ?? Number.NaN);
  expect(count('fail')).toBe(0);
  expect(count('pass')).toBeGreaterThan(40);
  expect(stdout).toMatch(/^ok \d+ - demo-broker$/m);

  const child = spawn('npm', ['start'], {
    cwd: project,
    env: { ...process.env, OSBKIT_BROKER_USERNAME: 'platform', OSBKIT_BROKER_PASSWORD: 's3cret', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const url = await waitFor(() => /"url":"(http:\/\/[^"]+)".*broker listening/.exec(output)?.[1], 'the new broker to listen', 30_000);
    const check = await runIn(project, osbkit, ['check', url, '--username', 'platform', '--password', 's3cret', '--strict', '--bind-parameters', '{"read_only":true}']);
    expect(check.stdout).toMatch(/^\d+ passed, 0 failed, 0 warnings, \d+ skipped/m);
    expect(existsSync(join(project, 'state', 'broker.db'))).toBe(true);
  } finally {
    for (const pid of [...descendantsOf(child.pid!), child.pid!]) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
  }
});

it('refuses a name npm would refuse and a folder that already holds something, writing nothing', () => {
  expect(() => scaffoldBroker('My Broker', join(work, 'bad'))).toThrow(/"My Broker" cannot name a broker: use lower-case letters/);
  expect(existsSync(join(work, 'bad'))).toBe(false);
  const taken = join(work, 'taken');
  mkdirSync(taken);
  writeFileSync(join(taken, 'keep.txt'), 'mine');
  expect(() => scaffoldBroker('taken', taken)).toThrow(/already exists and is not empty/);
  expect(readFileSync(join(taken, 'keep.txt'), 'utf8')).toBe('mine');
});
