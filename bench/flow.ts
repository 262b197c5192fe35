import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerApi } from '../cli/api';
import { collectAppFiles, packAppFiles } from '../cli/app-bits';

/**
 * npm run bench:flow — how long the platform takes for the two waits a user feels:
 *   create-service → the instance is ready, and
 *   bind-service (+ restart, as Cloud Foundry requires) → the app sees its volume.
 * Baseline in the same run: the same work without the platform (mkdir for the instance; for
 * the bind, an `unshare` namespace with a bind mount running the same app script).
 * Jobs are polled every 5 ms so the figures show the platform, not the CLI's poll interval.
 * Options (env): FLOW_ROUNDS (7).
 */
const ROUNDS = Number(process.env.FLOW_ROUNDS ?? 7);
const REPO = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'osbkit-bench-flow-'));
chmodSync(work, 0o755);
let up: ChildProcess | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const home = join(work, 'home');
  const port = await freePort();
  up = spawn(process.execPath, [join(REPO, 'bin', 'osbkit'), 'up', '--port', String(port)], {
    env: { ...process.env, OSBKIT_HOME: home, OSBKIT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let upLog = '';
  up.stderr?.on('data', (chunk: Buffer) => (upLog += chunk.toString()));
  await until(() => (upLog.includes('osbkit is up') ? true : undefined), `osbkit up\n${upLog}`);
  const url = `http://127.0.0.1:${port}`;
  const grant = await ControllerApi.passwordGrant(url, 'admin', readFileSync(join(home, 'admin-password'), 'utf8').trim());
  const api = new ControllerApi(url, grant.accessToken);
  const noProgress = (): void => undefined;

  const app = join(work, 'app');
  mkdirSync(app, { mode: 0o755 });
  writeFileSync(join(app, 'app.sh'), '#!/bin/sh\n: > "/data/seen-$MARK"\nexec sleep 3600\n', { mode: 0o755 });
  // Packed once, uploaded as each round's app's package, as osbkit push does.
  const bits = join(work, 'app.tar.gz');
  await packAppFiles(collectAppFiles(app), bits);
  const plan = (await api.list('/v3/service_plans?service_offering_names=local-volume'))[0]!;
  const space = (await api.list('/v3/spaces'))[0]!;
  const createTimes: number[] = [];
  const bindTimes: number[] = [];
  const baseCreate: number[] = [];
  const baseBind: number[] = [];

  for (let round = 1; round <= ROUNDS; round++) {
    // Platform: create-service until ready.
    let t0 = performance.now();
    const created = await api.request('POST', '/v3/service_instances', {
      type: 'managed',
      name: `bench-${round}`,
      relationships: { space: { data: { guid: space.guid } }, service_plan: { data: { guid: plan.guid } } },
    });
    await api.waitForJob(created.location, noProgress, 60_000, 5);
    createTimes.push(performance.now() - t0);
    const instance = (await api.list(`/v3/service_instances?names=bench-${round}`))[0]!;
    const volumeDir = readdirSync(join(home, 'volumes', 'local')).map((d) => join(home, 'volumes', 'local', d)).find((d) => d.includes(instance.guid))!;

    // Platform: bind-service + restart until the app has written into its volume.
    const pushed = await api.request<{ guid: string }>('POST', '/v3/apps', { name: `bench-app-${round}`, command: 'sh app.sh', env: { MARK: `r${round}` } });
    const bitsPackage = await api.request<{ guid: string }>('POST', '/v3/packages', { type: 'bits', relationships: { app: { data: { guid: pushed.body.guid } } } });
    await api.upload(`/v3/packages/${bitsPackage.body.guid}/upload`, bits, 'application/gzip');
    await api.request('POST', `/v3/apps/${pushed.body.guid}/actions/start`);
    t0 = performance.now();
    const bound = await api.request('POST', '/v3/service_credential_bindings', {
      type: 'app',
      relationships: { service_instance: { data: { guid: instance.guid } }, app: { data: { guid: pushed.body.guid } } },
      parameters: { mount: '/data' },
    });
    if (bound.status === 202) await api.waitForJob(bound.location, noProgress, 60_000, 5);
    await api.request('POST', `/v3/apps/${pushed.body.guid}/actions/restart`);
    await until(() => (existsSync(join(volumeDir, `seen-r${round}`)) ? true : undefined), 'the app to write into its volume');
    bindTimes.push(performance.now() - t0);

    // Baseline: the same directory and the same app, with no platform in between.
    const bare = join(work, `bare-${round}`);
    t0 = performance.now();
    mkdirSync(bare, { mode: 0o777 });
    baseCreate.push(performance.now() - t0);
    t0 = performance.now();
    const result = spawnSync('unshare', ['--mount', '--pid', '--fork', '--mount-proc', '--propagation', 'private', 'sh', '-c',
      `mount -t tmpfs tmpfs /mnt && mkdir /mnt/data && mount --bind ${bare} /mnt/data && : > /mnt/data/seen`]);
    if (result.status !== 0) throw new Error(`baseline failed: ${result.stderr.toString()}`);
    baseBind.push(performance.now() - t0);

    await api.request('DELETE', `/v3/apps/${pushed.body.guid}`).then((r) => (r.status === 202 ? api.waitForJob(r.location, noProgress) : undefined));
    const deleted = await api.request('DELETE', `/v3/service_instances/${instance.guid}`);
    if (deleted.status === 202) await api.waitForJob(deleted.location, noProgress);
    process.stderr.write(`round ${round}: create ${createTimes.at(-1)!.toFixed(0)} ms, bind→seen ${bindTimes.at(-1)!.toFixed(0)} ms\n`);
  }

  const lines = [
    `rounds ${ROUNDS}, local volume broker, cell isolation ${process.getuid?.() === 0 ? 'namespaces' : 'none'}, node ${process.version}`,
    '',
    '| wait | osbkit median ms | baseline median ms | what the baseline does |',
    '|---|---:|---:|---|',
    `| create-service → ready | ${median(createTimes).toFixed(0)} | ${median(baseCreate).toFixed(1)} | mkdir of the volume directory |`,
    `| bind-service + restart → app sees its volume | ${median(bindTimes).toFixed(0)} | ${median(baseBind).toFixed(1)} | unshare + tmpfs + bind mount + the write |`,
  ];
  console.log(lines.join('\n'));
  writeFileSync(join(process.cwd(), 'bench-flow-result.md'), `${lines.join('\n')}\n`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    if (up && up.exitCode === null) {
      const exited = new Promise((r) => up!.once('exit', r));
      up.kill('SIGINT');
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
  });
