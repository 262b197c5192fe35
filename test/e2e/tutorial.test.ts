import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { installOffline, outsideTempDir, packOsbkit, runIn, writeOfflineLock } from '../support/offline-install';
import { descendantsOf, freePort, REPO_ROOT, waitFor } from '../support/process';
import { startPlatform, type Platform } from './support';

/**
 * docs/writing-a-broker.md, followed in an empty folder outside the repository: osbkit from the
 * packed tarball, every file the page marks `file=` written as it stands, `npm test`, the broker
 * started with `npm start`, `osbkit up` run from the installed package, and the page's last
 * commands (the block marked `test=platform`) run one by one. A change to the page that breaks
 * the tutorial breaks this test.
 */

jest.setTimeout(600_000);

const PAGE = readFileSync(join(REPO_ROOT, 'docs', 'writing-a-broker.md'), 'utf8');

/** The fenced blocks whose info string carries `key=value`, in page order. */
function blocks(key: string): Array<{ value: string; text: string }> {
  return [...PAGE.matchAll(/^```\w+ ([^\n]*)\n([\s\S]*?)^```$/gm)].flatMap((match) => {
    const value = new RegExp(`(?:^| )${key}=(\\S+)`).exec(match[1]!)?.[1];
    return value === undefined ? [] : [{ value, text: match[2]! }];
  });
}

/** A shell line's words, with '…' quoting as the page uses it. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2]!);
}

let work: string;
let project: string;
let platform: Platform | undefined;
let broker: ReturnType<typeof spawn> | undefined;

afterAll(async () => {
  if (broker) {
    for (const pid of [...descendantsOf(broker.pid!), broker.pid!]) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
  }
  await platform?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

it('the page\'s broker installs, passes its tests, runs, and is registered, used and removed on osbkit up', async () => {
  work = outsideTempDir('osbkit-tutorial-');
  project = join(work, 'scratch-broker');
  mkdirSync(project);

  // Section 1: npm init -y, npm install osbkit, npm install --save-dev typescript @types/node, then the scripts.
  const scripts = JSON.parse(`{${blocks('merge').find((b) => b.value === 'package.json')!.text}}`) as { scripts: Record<string, string> };
  writeFileSync(join(project, 'package.json'), JSON.stringify({
    name: 'scratch-broker',
    version: '1.0.0',
    ...scripts,
    dependencies: { osbkit: '0.1.0' },
    devDependencies: { typescript: '5.9.3', '@types/node': '20.19.43' },
  }, null, 2));
  const files = new Map(blocks('file').map((b) => [b.value, b.text]));
  expect([...files.keys()].sort()).toEqual(['catalog.yaml', 'src/broker.ts', 'src/main.ts', 'test/broker.test.ts', 'tsconfig.json']);
  for (const [file, text] of files) {
    mkdirSync(dirname(join(project, file)), { recursive: true });
    writeFileSync(join(project, file), text);
  }
  const tarball = await packOsbkit(work);
  writeOfflineLock(project, tarball.path);
  await installOffline(project);

  // Section 6.
  const tests = await runIn(project, 'npm', ['test'], {}, 300_000);
  expect(/^# fail (\d+)$/m.exec(tests.stdout)?.[1]).toBe('0');
  expect(Number(/^# pass (\d+)$/m.exec(tests.stdout)?.[1])).toBeGreaterThan(60);

  // Section 4: the broker, on a free port instead of 8080.
  const port = await freePort();
  broker = spawn('npm', ['start'], {
    cwd: project,
    env: { ...process.env, OSBKIT_BROKER_USERNAME: 'platform', OSBKIT_BROKER_PASSWORD: 's3cret', PORT: String(port), SCRATCH_DIR: join(work, 'scratch-data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  broker.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  broker.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(() => output.includes('scratch broker listening'), `the scratch broker to listen\n${output}`, 30_000);

  // Section 12: `npx osbkit up` from the installed package, then the page's commands.
  platform = await startPlatform({ osbkitBin: join(project, 'node_modules', 'osbkit', 'bin', 'osbkit') });
  const commands = blocks('test').find((b) => b.value === 'platform')!.text.trim().split('\n');
  expect(commands.length).toBeGreaterThan(8);
  const outputs: string[] = [];
  for (const line of commands) {
    const [npx, osbkit, ...args] = words(line.replace('http://127.0.0.1:8080', `http://127.0.0.1:${port}`));
    expect([npx, osbkit]).toEqual(['npx', 'osbkit']);
    outputs.push(await platform.ok(args));
  }
  const key = outputs[commands.findIndex((line) => line.includes('osbkit service-key '))]!;
  expect(key).toMatch(/"token": "[0-9a-f]{32}"/);
  expect(await platform.ok(['services'])).not.toMatch(/my-space|big-space/);
  expect(await platform.ok(['service-brokers'])).not.toMatch(/scratch/);
});
