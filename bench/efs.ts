import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
  FileSystemNotFound,
} from '@aws-sdk/client-efs';
import pino from 'pino';
import { createBroker, OsbClient, SqliteStore, type BrokerApp } from '../sdk';
import { EfsApi, EfsVolumeBroker, createEfsClient, efsCatalogPath, resolveEfsConfig } from '../brokers/efs';
import { writeDocsSection } from './docs-section';

/**
 * npm run bench:efs — provisioning an EFS file system with a mount target in each of two
 * subnets, through the EFS broker over HTTP and through the bare AWS SDK calls, against one EFS
 * emulator process with its lifecycle delays at 0 (so AWS's own minutes are out of the picture
 * and what remains is the broker's overhead: HTTP, the SDK's durable state, the step runner,
 * and the platform's polling of last_operation).
 *
 * - broker: createBroker with the EFS broker and a SqliteStore in a temporary directory, as
 *   `osbkit broker efs` runs it, listening on 127.0.0.1; the platform side is the SDK's
 *   OsbClient, sending the provision with accepts_incomplete=true and polling last_operation
 *   every POLL_MS until it says succeeded;
 * - raw: CreateFileSystem, DescribeFileSystems until available, CreateMountTarget in each
 *   subnet, DescribeMountTargets until all are available, straight from the AWS SDK with the
 *   same client settings.
 *
 * Sequential rounds interleave the two sides; then each side provisions BENCH_CONCURRENT file
 * systems at once, which must finish without a single error. Every file system made is deleted
 * again (the broker's through deprovision, also timed). The figures go to docs/benchmarks.md
 * under "## EFS broker".
 *
 * Options (env): BENCH_ROUNDS (5), BENCH_PER_ROUND (8 provisions per side and round),
 * BENCH_CONCURRENT (50), BENCH_POLL_MS (10), BENCH_DOCS (docs/benchmarks.md; "-" to skip writing).
 */

const ROUNDS = positiveInteger('BENCH_ROUNDS', 5);
const PER_ROUND = positiveInteger('BENCH_PER_ROUND', 8);
const CONCURRENT = positiveInteger('BENCH_CONCURRENT', 50);
const POLL_MS = positiveInteger('BENCH_POLL_MS', 10);
const DOCS = process.env.BENCH_DOCS ?? join(__dirname, '..', '..', 'docs', 'benchmarks.md');
const COMMAND = 'npm run bench:efs';
const HEADING = '## EFS broker';

const SERVICE_ID = '4d5d6953-337d-47d7-ab08-a1aff5158b15';
const GENERAL_PURPOSE = '07cd41a7-a219-4216-b348-919cc5a36df3';
const PLAN = { service_id: SERVICE_ID, plan_id: GENERAL_PURPOSE };
const SUBNETS = ['subnet-00000001', 'subnet-00000002'];
const SECURITY_GROUP = 'sg-00000000000000001';
const REGION = 'us-east-1';
const CREDENTIALS = { username: 'bench', password: 'bench-efs-secret' };

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Emulator {
  url: string;
  child: ChildProcess;
}

/** The emulator in its own process, so it does not share the event loop with the broker. */
async function startEmulator(): Promise<Emulator> {
  const child = spawn(process.execPath, [join(__dirname, '..', 'cli', 'main.js'), 'efs-emulator', '--port', '0', '--region', REGION, '--creation-delay-ms', '0', '--deletion-delay-ms', '0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the EFS emulator did not start:\n${output}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the EFS emulator exited (${code}):\n${output}`)));
  });
  return { url, child };
}

/** Counts the AWS commands a client sends (once per command, whatever its retries). */
function countingClient(client: EFSClient, counts: Map<string, number>): EFSClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchCounter' },
  );
  return client;
}

interface Sides {
  app: BrokerApp;
  osb: OsbClient;
  raw: EFSClient;
  brokerCalls: Map<string, number>;
  rawCalls: Map<string, number>;
}

/** Milliseconds until last_operation says succeeded; `acceptedMs` gets the time to the 202. */
async function brokerProvision(sides: Sides, instanceId: string, acceptedMs: number[] = []): Promise<number> {
  const started = performance.now();
  const accepted = await sides.osb.provision(instanceId, { ...PLAN, organization_guid: 'org-bench', space_guid: 'space-bench' }, { acceptsIncomplete: true });
  if (accepted.status !== 202 || !accepted.operation) throw new Error(`provision answered ${accepted.status}`);
  acceptedMs.push(performance.now() - started);
  for (;;) {
    const answer = await sides.osb.instanceLastOperation(instanceId, { ...PLAN, operation: accepted.operation });
    if (answer.body.state === 'succeeded') return performance.now() - started;
    if (answer.body.state === 'failed') throw new Error(`provision failed: ${answer.body.description ?? ''}`);
    await sleep(POLL_MS);
  }
}

async function brokerDeprovision(sides: Sides, instanceId: string): Promise<number> {
  const started = performance.now();
  const accepted = await sides.osb.deprovision(instanceId, PLAN, { acceptsIncomplete: true });
  if (accepted.status !== 202 || !accepted.operation) throw new Error(`deprovision answered ${accepted.status}`);
  for (;;) {
    const answer = await sides.osb.instanceLastOperation(instanceId, { ...PLAN, operation: accepted.operation });
    if (answer.gone || answer.body.state === 'succeeded') return performance.now() - started;
    if (answer.body.state === 'failed') throw new Error(`deprovision failed: ${answer.body.description ?? ''}`);
    await sleep(POLL_MS);
  }
}

/** The same file system by hand: the calls a script with the AWS SDK makes, polling at POLL_MS as the platform does. */
async function rawProvision(client: EFSClient, token: string): Promise<{ ms: number; fileSystemId: string }> {
  const started = performance.now();
  const created = await client.send(new CreateFileSystemCommand({ CreationToken: token, PerformanceMode: 'generalPurpose', ThroughputMode: 'bursting', Encrypted: true }));
  const fileSystemId = created.FileSystemId!;
  for (;;) {
    const described = await client.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId }));
    if (described.FileSystems?.[0]?.LifeCycleState === 'available') break;
    await sleep(POLL_MS);
  }
  for (const subnet of SUBNETS) await client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: subnet, SecurityGroups: [SECURITY_GROUP] }));
  for (;;) {
    const targets = (await client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets ?? [];
    if (targets.length === SUBNETS.length && targets.every((target) => target.LifeCycleState === 'available')) break;
    await sleep(POLL_MS);
  }
  return { ms: performance.now() - started, fileSystemId };
}

async function rawDelete(client: EFSClient, fileSystemId: string): Promise<void> {
  for (const target of (await client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets ?? []) {
    await client.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId }));
  }
  for (;;) {
    if (((await client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets ?? []).length === 0) break;
    await sleep(POLL_MS);
  }
  await client.send(new DeleteFileSystemCommand({ FileSystemId: fileSystemId }));
  for (;;) {
    try {
      await client.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId }));
    } catch (error) {
      if (error instanceof FileSystemNotFound) return;
      throw error;
    }
    await sleep(POLL_MS);
  }
}

interface Summary {
  count: number;
  median: number;
  p95: number;
  mean: number;
}

function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  const middle = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return { count: sorted.length, median: middle, p95: at(0.95), mean: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length) };
}

const fixed = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '–');

interface BatchResult {
  times: number[];
  errors: string[];
  wallMs: number;
}

async function batch(count: number, run: (index: number) => Promise<number>): Promise<BatchResult> {
  const started = performance.now();
  const errors: string[] = [];
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      try {
        times.push(await run(index));
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
    }),
  );
  return { times, errors, wallMs: performance.now() - started };
}

/** Runs `work` alone and adds the calls it made to `into` (sequential runs only: nothing else sends meanwhile). */
async function countedCalls<T>(calls: Map<string, number>, into: Map<string, number>, work: () => Promise<T>): Promise<T> {
  const before = new Map(calls);
  const result = await work();
  for (const [name, value] of calls) {
    const made = value - (before.get(name) ?? 0);
    if (made > 0) into.set(name, (into.get(name) ?? 0) + made);
  }
  return result;
}

function callsPerProvision(calls: Map<string, number>, provisions: number): string {
  const total = [...calls.values()].reduce((sum, value) => sum + value, 0);
  const parts = [...calls.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => `${name.replace(/Command$/, '')} ${(value / provisions).toFixed(1)}`);
  return `${(total / provisions).toFixed(1)} (${parts.join(', ')})`;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!.toFixed(2);
  // The AWS SDK's default credential chain, with keys in the environment, as the broker runs in tests.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDOSBKITBENCH';
  process.env.AWS_SECRET_ACCESS_KEY = 'osbkit-bench-dummy';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const emulator = await startEmulator();
  const stateDir = mkdtempSync(join(tmpdir(), 'osbkit-bench-efs-'));
  const brokerCalls = new Map<string, number>();
  const rawCalls = new Map<string, number>();
  const settings = { region: REGION, endpoint: emulator.url, maxAttempts: 6, connectTimeoutMs: 5_000, requestTimeoutMs: 30_000 };
  const config = resolveEfsConfig({ region: REGION, endpoint: emulator.url, subnetIds: SUBNETS.join(','), securityGroupIds: SECURITY_GROUP });
  const app = createBroker({
    catalog: efsCatalogPath,
    broker: new EfsVolumeBroker(new EfsApi(countingClient(createEfsClient(settings), brokerCalls)), config),
    store: new SqliteStore({ path: join(stateDir, 'state.db') }),
    auth: CREDENTIALS,
    logger: pino({ level: 'silent' }),
  });
  const { url, server } = await app.listen(0, '127.0.0.1');
  const sides: Sides = {
    app,
    osb: new OsbClient({ url, ...CREDENTIALS }),
    raw: countingClient(createEfsClient(settings), rawCalls),
    brokerCalls,
    rawCalls,
  };
  const brokerInstances: string[] = [];
  const rawFileSystems: string[] = [];
  const cleanup = async (): Promise<{ brokerDeletes: number[]; left: number }> => {
    const brokerDeletes = await Promise.all(brokerInstances.splice(0).map((id) => brokerDeprovision(sides, id)));
    await Promise.all(rawFileSystems.splice(0).map((id) => rawDelete(sides.raw, id)));
    const left = (await sides.raw.send(new DescribeFileSystemsCommand({}))).FileSystems?.length ?? 0;
    return { brokerDeletes, left };
  };

  try {
    // Warm-up: one of each, not counted.
    brokerInstances.push(randomUUID());
    await brokerProvision(sides, brokerInstances[0]!);
    rawFileSystems.push((await rawProvision(sides.raw, randomUUID())).fileSystemId);
    await cleanup();
    brokerCalls.clear();
    rawCalls.clear();

    const sequential = { broker: [] as number[], raw: [] as number[], accepted: [] as number[] };
    const deprovisions: number[] = [];
    const provisionCalls = { broker: new Map<string, number>(), raw: new Map<string, number>() };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (let i = 0; i < PER_ROUND; i += 1) {
        const id = randomUUID();
        brokerInstances.push(id);
        sequential.broker.push(await countedCalls(brokerCalls, provisionCalls.broker, () => brokerProvision(sides, id, sequential.accepted)));
        const raw = await countedCalls(rawCalls, provisionCalls.raw, () => rawProvision(sides.raw, randomUUID()));
        rawFileSystems.push(raw.fileSystemId);
        sequential.raw.push(raw.ms);
      }
      // One at a time, so each deprovision is timed alone.
      for (const id of brokerInstances.splice(0)) deprovisions.push(await brokerDeprovision(sides, id));
      await cleanup();
    }
    const sequentialProvisions = ROUNDS * PER_ROUND;
    const brokerCallText = callsPerProvision(provisionCalls.broker, sequentialProvisions);
    const rawCallText = callsPerProvision(provisionCalls.raw, sequentialProvisions);

    const concurrentBroker = await batch(CONCURRENT, async () => {
      const id = randomUUID();
      brokerInstances.push(id);
      return brokerProvision(sides, id);
    });
    const concurrentRaw = await batch(CONCURRENT, async () => {
      const raw = await rawProvision(sides.raw, randomUUID());
      rawFileSystems.push(raw.fileSystemId);
      return raw.ms;
    });
    const deleteStarted = performance.now();
    const concurrentDeprovisions = (await cleanup()).brokerDeletes;
    const concurrentDeleteMs = performance.now() - deleteStarted;
    const left = (await sides.raw.send(new DescribeFileSystemsCommand({}))).FileSystems?.length ?? 0;

    const broker = summarize(sequential.broker);
    const raw = summarize(sequential.raw);
    const rows = [
      ['sequential', 'broker over HTTP (provision + polling)', broker, 0],
      ['sequential', 'raw AWS SDK calls', raw, 0],
      [`${CONCURRENT} at once`, 'broker over HTTP (provision + polling)', summarize(concurrentBroker.times), concurrentBroker.errors.length],
      [`${CONCURRENT} at once`, 'raw AWS SDK calls', summarize(concurrentRaw.times), concurrentRaw.errors.length],
    ] as const;
    const body = [
      `Command: \`${COMMAND}\` — ${ROUNDS} rounds × ${PER_ROUND} sequential provisions per side, interleaved (one warm-up provision per side first), then ${CONCURRENT} provisions at once per side; every file system is deleted again.`,
      `Machine: ${cpus().length} vCPU, kernel ${release()}, node ${process.version}; the EFS emulator (osbkit efs-emulator, its own process) on 127.0.0.1 with creation and deletion delays at 0; the broker with a SqliteStore in a temporary directory; run on ${new Date().toISOString().slice(0, 10)} with a 1-minute load average of ${loadAtStart} at the start (the machine is shared).`,
      '',
      `A provision is one file system with a mount target in each of 2 subnets, until it is available: for the broker, from the PUT (accepts_incomplete=true) until last_operation answers succeeded, polled every ${POLL_MS} ms; for the raw side, CreateFileSystem, DescribeFileSystems until available, CreateMountTarget ×2, DescribeMountTargets until available (same client settings, same ${POLL_MS} ms poll). Times in ms.`,
      '',
      '| run | side | provisions | median | p95 | mean | errors |',
      '|---|---|---:|---:|---:|---:|---:|',
      ...rows.map(([run, side, summary, errors]) => `| ${run} | ${side} | ${summary.count} | ${fixed(summary.median)} | ${fixed(summary.p95)} | ${fixed(summary.mean)} | ${errors} |`),
      '',
      `- **Broker overhead (sequential medians): ${fixed(broker.median - raw.median)} ms per provision, ${(broker.median / raw.median).toFixed(2)}× the raw calls** (p95: ${(broker.p95 / raw.p95).toFixed(2)}×). The 202 came after ${fixed(summarize(sequential.accepted).median)} ms (median). Where it goes: the 202 (the SDK records the claim and the first step in SQLite before it answers), the background step's outcome written to SQLite, and the polling (half a poll interval on average, plus one last_operation round trip). The broker makes one AWS call fewer than the raw side: it goes straight on when CreateFileSystem already answers "available", and it lists the mount targets once before creating them, so a resumed step never makes one twice.`,
      `- AWS calls per provision (sequential): broker ${brokerCallText}; raw ${rawCallText}.`,
      `- ${CONCURRENT} at once: the broker provisioned ${concurrentBroker.times.length} file systems in ${fixed(concurrentBroker.wallMs)} ms wall time with **${concurrentBroker.errors.length} errors**${concurrentBroker.errors.length > 0 ? ` (${concurrentBroker.errors.slice(0, 3).join('; ')})` : ''}; the raw calls took ${fixed(concurrentRaw.wallMs)} ms with ${concurrentRaw.errors.length} errors.`,
      `- Deprovision through the broker (access points, mount targets, wait, DeleteFileSystem, wait until gone; same polling), one at a time: median ${fixed(summarize(deprovisions).median)} ms, p95 ${fixed(summarize(deprovisions).p95)} ms over ${deprovisions.length}. The ${CONCURRENT} broker instances of the concurrent run deprovisioned at once (with the raw side's ${CONCURRENT} deleted alongside): median ${fixed(summarize(concurrentDeprovisions).median)} ms each, ${fixed(concurrentDeleteMs)} ms in all. File systems left in the emulator afterwards: ${left}.`,
      "- With AWS's real lifecycle (a file system takes seconds to become available, a mount target about a minute or more), the broker waits between steps with its own backoff (1 s doubling to 15 s by default), so it adds at most one wait interval to what AWS takes, besides the overhead above.",
    ].join('\n');
    console.log(`${HEADING}\n\n${body}\n`);
    if (DOCS !== '-') {
      writeDocsSection(DOCS, HEADING, body);
      console.log(`written to ${DOCS}`);
    }
    if (concurrentBroker.errors.length > 0 || left > 0) process.exitCode = 1;
  } finally {
    try {
      await cleanup();
    } catch (error) {
      console.error('cleanup failed:', error);
      process.exitCode = 1;
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
    sides.raw.destroy();
    emulator.child.kill('SIGTERM');
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
