import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import mysql, { type Connection, type Pool, type RowDataPacket } from 'mysql2/promise';
import pino from 'pino';
import { createBroker, OsbClient, type BrokerApp } from '../sdk';
import { createMysqlBroker, mysqlCatalogPath, parseMysqlUrl, type MysqlBrokerHandle } from '../brokers/mysql';
import { createMysqlPool } from '../brokers/mysql/admin-sql';
import { InProcessCycle } from './mysql/in-process';
import { Meter, describeCounts, total } from './mysql/meter';
import { DurableFloorCycle } from './mysql/durable-floor';
import { RAW_STATEMENTS, RawSqlCycle, STEPS, type CycleStep } from './mysql/raw-sql';
import { writeDocsSection } from './docs-section';
import { median, ms, MYSQL_HEADING, percentile, ratio } from './mysql/report';
import { probeStatementCosts } from './mysql/probe';
import { countCommand, countSide, hasCallgrind, profileCommand, profileSide, type CountedSide, type ProfiledSide } from './mysql/profile-run';
import type { ProfileSummary } from './mysql/profile-summary';

/**
 * npm run bench:mysql — one tenant lifecycle (provision, bind, unbind, deprovision) through
 * the MySQL broker over HTTP, against the same tenant-facing SQL sent straight with mysql2.
 *
 * - broker: createBroker with the MySQL broker and its MysqlStore, as in production,
 *   listening on 127.0.0.1 and driven by the SDK's OsbClient;
 * - raw: the statements a tenant's lifecycle needs, with the broker's texts, names and pool
 *   settings (bench/mysql/raw-sql.ts), and nothing of the broker's bookkeeping;
 * - in-process: the broker's methods called directly (no HTTP, no SDK state), to show which
 *   part of the difference is the broker's own SQL;
 * - durable floor: the raw statements plus a committed claim before and a committed outcome
 *   after each step (bench/mysql/durable-floor.ts), the least any crash-safe broker pays.
 *
 * Sequential rounds interleave the three sides so drift on the machine hits them alike; then
 * the broker and the raw SQL each run a batch concurrently, which must finish without a single
 * error. The figures go to docs/benchmarks.md under "## MySQL broker". Every database and
 * user made here is dropped, also when the run fails half-way.
 *
 * Last, the broker side and the floor each run alone in a fresh process, under callgrind
 * (instructions per cycle; skipped with BENCH_CALLGRIND=0 or without valgrind) and under
 * V8's sampling profiler (bench/mysql/profile.ts), and the report says where the broker's CPU goes.
 *
 * Options (env): MYSQL_URL (mysql://root@127.0.0.1:3306), BENCH_ROUNDS (3),
 * BENCH_CYCLES (sequential cycles per side and round, 40), BENCH_WARMUP (cycles per side
 * first, 100), BENCH_CONCURRENT (100), BENCH_CONCURRENCY (10), BENCH_PROFILE_CYCLES (300),
 * BENCH_CALLGRIND_CYCLES (100), BENCH_CALLGRIND (1),
 * BENCH_DOCS (docs/benchmarks.md; "-" to skip writing).
 */

const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const ROUNDS = positiveInteger('BENCH_ROUNDS', 3);
const CYCLES = positiveInteger('BENCH_CYCLES', 40);
const CONCURRENT = positiveInteger('BENCH_CONCURRENT', 100);
const CONCURRENCY = positiveInteger('BENCH_CONCURRENCY', 10);
/**
 * Uncounted cycles per side first. A handful leaves the broker's larger body of code (the
 * SDK's server, engine and client) to V8's baseline tiers for much of the measured run:
 * after 3 cycles it took about 9.5 ms of CPU a cycle, after 100 or more about 6 (profile.ts).
 */
const WARMUP = positiveInteger('BENCH_WARMUP', 100);
/** Cycles of each side profiled in a fresh process after the timed runs (bench/mysql/profile.ts). */
const PROFILE_CYCLES = positiveInteger('BENCH_PROFILE_CYCLES', 300);
/** Cycles counted under callgrind, after more warm-up: valgrind's slow clock delays V8's tiering less than its counts. */
const CALLGRIND_CYCLES = positiveInteger('BENCH_CALLGRIND_CYCLES', 100);
const CALLGRIND_WARMUP = 300;
/** Per HTTP request, bare node:http's own instructions: a keep-alive client's call (bench:client) and a server's answer (bench:instructions). */
const BARE_HTTP_CLIENT_INSTRUCTIONS = 247_000;
const BARE_HTTP_SERVER_INSTRUCTIONS = 93_000;
/** The broker's cycle against the durable floor's (issue 17). */
const TARGET_FLOOR_RATIO = 1.5;
const DOCS = process.env.BENCH_DOCS ?? join(__dirname, '..', '..', 'docs', 'benchmarks.md');
const COMMAND = 'npm run bench:mysql';

const SERVICE_ID = '48717e83-ba87-4331-a4e2-ac6e1da9c8aa';
const PLAN_SMALL = '21e3abc7-b405-40bd-b0ef-f04c01783e9d';
const PLAN = { service_id: SERVICE_ID, plan_id: PLAN_SMALL };

/** Short, so it survives in the 13 characters a user name keeps of a binding id. */
const prefix = `b${randomBytes(4).toString('hex')}`;
const stateDatabase = `osbkit_${prefix}_state`;

type Side = 'broker' | 'direct' | 'floor' | 'raw';
type Cycle = Record<CycleStep, (instanceId: string, bindingId: string) => Promise<unknown>>;

const SIDE_NAMES: Record<Side, string> = {
  broker: 'broker over HTTP',
  direct: 'broker methods in-process (no HTTP, no SDK state)',
  floor: 'durable floor: raw SQL + claim and outcome writes',
  raw: 'raw SQL',
};

interface CycleTiming {
  totalMs: number;
  steps: Record<CycleStep, number>;
}

interface BatchResult {
  timings: CycleTiming[];
  errors: string[];
  wallMs: number;
}

interface Summary {
  median: number;
  p95: number;
  mean: number;
  steps: Record<CycleStep, number>;
}

interface Environment {
  handle: MysqlBrokerHandle;
  direct: MysqlBrokerHandle;
  app: BrokerApp;
  closeServer: () => Promise<void>;
  rawPool: Pool;
  floorPool: Pool;
  closed?: boolean;
}

function positiveInteger(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

let cycleNumber = 0;
async function runCycle(side: Side, cycle: Cycle, onStep?: (step: CycleStep) => void): Promise<CycleTiming> {
  cycleNumber++;
  const instanceId = `${prefix}-${side}-i${cycleNumber}`;
  const bindingId = `${prefix}-${cycleNumber}`;
  const steps = {} as Record<CycleStep, number>;
  const began = performance.now();
  for (const step of STEPS) {
    onStep?.(step);
    const start = performance.now();
    await cycle[step](instanceId, bindingId);
    steps[step] = performance.now() - start;
  }
  return { totalMs: performance.now() - began, steps };
}

/** `count` cycles, `concurrency` at a time; a failed cycle is counted and described, not thrown. */
async function batch(side: Side, cycle: Cycle, count: number, concurrency: number): Promise<BatchResult> {
  const result: BatchResult = { timings: [], errors: [], wallMs: 0 };
  let started = 0;
  const began = performance.now();
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      try {
        result.timings.push(await runCycle(side, cycle));
      } catch (error) {
        result.errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  result.wallMs = performance.now() - began;
  return result;
}

function summarize(timings: readonly CycleTiming[]): Summary {
  const totals = timings.map((t) => t.totalMs);
  const steps = {} as Record<CycleStep, number>;
  for (const step of STEPS) steps[step] = median(timings.map((t) => t.steps[step]));
  return { median: median(totals), p95: percentile(totals, 95), mean: totals.reduce((a, b) => a + b, 0) / Math.max(1, totals.length), steps };
}

function expectStatus(answer: { status: number }, status: number): void {
  if (answer.status !== status) throw new Error(`expected HTTP ${status}, got ${answer.status}`);
}

/** Drops every database and account whose name carries this run's prefix. */
async function cleanup(root: Connection): Promise<{ databases: number; users: number }> {
  const [databases] = await root.query<RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`%${prefix}%`]);
  for (const row of databases) await root.query(`DROP DATABASE IF EXISTS \`${String(row.name).replace(/`/g, '``')}\``);
  const [users] = await root.query<RowDataPacket[]>('SELECT User AS user, Host AS host FROM mysql.user WHERE User LIKE ?', [`%${prefix}%`]);
  for (const row of users) await root.query('DROP USER IF EXISTS ?@?', [String(row.user), String(row.host)]);
  return { databases: databases.length, users: users.length };
}

async function leftovers(root: Connection): Promise<number> {
  const [databases] = await root.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`%${prefix}%`]);
  const [users] = await root.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM mysql.user WHERE User LIKE ?', [`%${prefix}%`]);
  return Number(databases[0]!.n) + Number(users[0]!.n);
}

async function closeEnvironment(env: Environment): Promise<void> {
  if (env.closed) return;
  env.closed = true;
  await env.closeServer().catch(() => undefined);
  await env.app.close().catch(() => undefined);
  await env.handle.close().catch(() => undefined);
  await env.direct.close().catch(() => undefined);
  await env.rawPool.end().catch(() => undefined);
  await env.floorPool.end().catch(() => undefined);
}

async function main(): Promise<void> {
  const address = parseMysqlUrl(MYSQL_URL);
  const admin = { host: address.host, port: address.port ?? 3306, user: address.user, password: address.password };
  let root: Connection;
  try {
    root = await mysql.createConnection({ ...admin, connectTimeout: 5_000 });
  } catch (error) {
    throw new Error(`MySQL is not reachable at ${admin.host}:${admin.port} as ${admin.user} (${(error as { code?: string }).code ?? String(error)})`);
  }
  const meter = new Meter();
  let env: Environment | undefined;
  let failed = false;
  try {
    const [versionRows] = await root.query<RowDataPacket[]>('SELECT VERSION() AS v');
    const serverVersion = String(versionRows[0]!.v);
    const logger = pino({ level: 'silent' });

    const handle = createMysqlBroker({ ...admin, stateDatabase, onStatement: meter.onStatement }, logger);
    if (!handle.store) throw new Error('the MySQL broker came without its MySQL state store');
    const auth = { username: 'bench', password: randomBytes(18).toString('base64url') };
    const app = createBroker({
      catalog: mysqlCatalogPath,
      broker: meter.wrap(handle.broker, 'broker'),
      store: meter.wrap(handle.store, 'store'),
      auth,
      logger,
    });
    const { url, server } = await app.listen(0, '127.0.0.1');
    const closeServer = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
    // The broker's admin pool size (AdminSql's default of 4) and settings, so raw SQL has no more connections.
    const rawPool = createMysqlPool(admin, 5_000, 4);
    // Same registry tables, its own pools, no SDK store.
    const direct = createMysqlBroker({ ...admin, stateDatabase, stateStore: false }, logger);
    // The floor's state writes get their own pool, as the SDK's store has its own.
    const floorPool = createMysqlPool(admin, 5_000, 4);
    env = { handle, direct, app, closeServer, rawPool, floorPool };

    const client = new OsbClient({ url, ...auth });
    const rawSql = new RawSqlCycle(rawPool);
    const floor = new DurableFloorCycle(floorPool, rawSql, stateDatabase);
    const inProcess = new InProcessCycle(direct.broker, app.catalog, PLAN_SMALL, logger);
    const cycles: Record<Side, Cycle> = {
      broker: {
        provision: async (instanceId) => expectStatus(await client.provision(instanceId, { ...PLAN, organization_guid: 'bench-org', space_guid: 'bench-space' }), 201),
        bind: async (instanceId, bindingId) => expectStatus(await client.bind(instanceId, bindingId, { ...PLAN, bind_resource: { app_guid: 'bench-app' } }), 201),
        unbind: async (instanceId, bindingId) => expectStatus(await client.unbind(instanceId, bindingId, PLAN), 200),
        deprovision: async (instanceId) => expectStatus(await client.deprovision(instanceId, PLAN), 200),
      },
      direct: {
        provision: (instanceId) => inProcess.provision(instanceId),
        bind: (instanceId, bindingId) => inProcess.bind(instanceId, bindingId),
        unbind: (instanceId, bindingId) => inProcess.unbind(instanceId, bindingId),
        deprovision: (instanceId) => inProcess.deprovision(instanceId),
      },
      floor: {
        provision: (instanceId) => floor.provision(instanceId),
        bind: (instanceId, bindingId) => floor.bind(instanceId, bindingId),
        unbind: (instanceId, bindingId) => floor.unbind(instanceId, bindingId),
        deprovision: (instanceId) => floor.deprovision(instanceId),
      },
      raw: {
        provision: (instanceId) => rawSql.provision(instanceId),
        bind: (instanceId, bindingId) => rawSql.bind(instanceId, bindingId),
        unbind: (instanceId, bindingId) => rawSql.unbind(instanceId, bindingId),
        deprovision: (instanceId) => rawSql.deprovision(instanceId),
      },
    };

    console.error(`MySQL broker bench: ${serverVersion}, node ${process.version}, ${cpus().length} CPUs; names carry ${prefix}`);
    // Warm-up (connections, JIT, the broker's tables), then one counted broker cycle.
    await app.start();
    await floor.init();
    for (const side of ['broker', 'direct', 'floor', 'raw'] as const) {
      const warm = await batch(side, cycles[side], WARMUP, 1);
      if (warm.errors.length > 0) throw new Error(`warm-up of ${side} failed: ${warm.errors[0]}`);
    }
    meter.counting = true;
    await runCycle('broker', cycles.broker, (step) => (meter.step = step));
    meter.counting = false;

    const sequential: Record<Side, CycleTiming[]> = { broker: [], direct: [], floor: [], raw: [] };
    const errors: Record<Side, string[]> = { broker: [], direct: [], floor: [], raw: [] };
    // This process's CPU (user + system) per side: the broker side runs the SDK's server, the
    // broker, the store and the client here, so its JavaScript adds to every cycle's time.
    const cpuMs: Record<Side, number> = { broker: 0, direct: 0, floor: 0, raw: 0 };
    const orders: Side[][] = [['broker', 'direct', 'floor', 'raw'], ['raw', 'broker', 'direct', 'floor'], ['floor', 'raw', 'broker', 'direct']];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const side of orders[(round - 1) % orders.length]!) {
        meter.timing = side === 'broker';
        const cpuBefore = process.cpuUsage();
        const result = await batch(side, cycles[side], CYCLES, 1);
        const cpu = process.cpuUsage(cpuBefore);
        cpuMs[side] += (cpu.user + cpu.system) / 1000;
        meter.timing = false;
        sequential[side].push(...result.timings);
        errors[side].push(...result.errors);
        const s = summarize(result.timings);
        console.error(`round ${round} ${side.padEnd(6)} ${CYCLES} cycles  median ${ms(s.median)} ms  p95 ${ms(s.p95)} ms${result.errors.length ? `  errors ${result.errors.length}` : ''}`);
      }
    }
    const concurrent = {} as Record<'broker' | 'floor' | 'raw', BatchResult>;
    for (const side of ['broker', 'floor', 'raw'] as const) {
      const result = await batch(side, cycles[side], CONCURRENT, CONCURRENCY);
      concurrent[side] = result;
      console.error(`concurrent ${side.padEnd(6)} ${CONCURRENT} cycles, ${CONCURRENCY} at a time: ${(result.wallMs / 1000).toFixed(1)} s, ${result.errors.length} errors`);
      for (const message of [...new Set(result.errors)].slice(0, 5)) console.error(`  error: ${message}`);
    }

    const costs = await probeStatementCosts(rawPool, stateDatabase);
    // The broker goes first, so nothing of it touches its state database while it is dropped.
    await closeEnvironment(env);
    const cleaned = await cleanup(root);
    const left = await leftovers(root);
    console.error(`profiling ${PROFILE_CYCLES} cycles of the broker and of the floor, each alone in a fresh process`);
    const profiled = {
      broker: await profileSide('broker', PROFILE_CYCLES, WARMUP, MYSQL_URL),
      floor: await profileSide('floor', PROFILE_CYCLES, WARMUP, MYSQL_URL),
    };
    let counted: { broker: CountedSide; floor: CountedSide } | undefined;
    if (process.env.BENCH_CALLGRIND !== '0' && hasCallgrind()) {
      console.error(`counting instructions of ${CALLGRIND_CYCLES} cycles of each side under callgrind (a few minutes)`);
      // Both at once: instruction counts do not depend on what else runs.
      const [broker, floor] = await Promise.all([
        countSide('broker', CALLGRIND_CYCLES, CALLGRIND_WARMUP, MYSQL_URL),
        countSide('floor', CALLGRIND_CYCLES, CALLGRIND_WARMUP, MYSQL_URL),
      ]);
      counted = { broker, floor };
    }

    const seq: Record<Side, Summary> = {
      broker: summarize(sequential.broker),
      direct: summarize(sequential.direct),
      floor: summarize(sequential.floor),
      raw: summarize(sequential.raw),
    };
    const con = { broker: summarize(concurrent.broker.timings), floor: summarize(concurrent.floor.timings), raw: summarize(concurrent.raw.timings) };
    const medianRatio = seq.broker.median / seq.raw.median;
    const p95Ratio = seq.broker.p95 / seq.raw.p95;
    const throughput = (side: 'broker' | 'floor' | 'raw'): number => (concurrent[side].timings.length / concurrent[side].wallMs) * 1000;
    const errorCount = (side: Side): number => errors[side].length + (side === 'direct' ? 0 : concurrent[side].errors.length);
    const allErrors = errorCount('broker') + errorCount('direct') + errorCount('floor') + errorCount('raw');
    failed = allErrors > 0 || left > 0;

    // Means per sequential broker cycle, so the parts add up.
    const brokerCycles = Math.max(1, sequential.broker.length);
    const inMethods = meter.spentMs.broker / brokerCycles;
    const inStore = meter.spentMs.store / brokerCycles;
    const rest = seq.broker.mean - inMethods - inStore;
    const rawCount = STEPS.reduce((n, step) => n + RAW_STATEMENTS[step].length, 0);
    const floorRatio = seq.broker.median / seq.floor.median;
    // What the broker sends beyond the floor, by cost: the store's reads (the floor reads
    // nothing), the registry's writes and reads, and one HTTP request per step.
    const storeReads = [...meter.storeCalls].filter(([method]) => /^(get|list)/.test(method)).reduce((n, [, count]) => n + count, 0);
    const storeWrites = total(meter.storeCalls) - storeReads;
    const registryStatements = meter.admin.get('REGISTRY') ?? 0;
    const gapMs = seq.broker.mean - seq.floor.mean;
    const explainedMs = (registryStatements - 1) * costs.committedWriteMs + (storeReads + 1) * costs.keyReadMs;
    const brokerStatements = total(meter.admin) + total(meter.storeCalls);
    const floorStatements = rawCount + 2 * STEPS.length;
    const stepCells = (s: Summary): string => STEPS.map((step) => ms(s.steps[step])).join(' / ');
    const row = (run: string, side: Side, count: number, s: Summary, errs: number): string =>
      `| ${run} | ${SIDE_NAMES[side]} | ${count} | ${ms(s.median)} | ${ms(s.p95)} | ${stepCells(s)} | ${errs} |`;

    const report = [
      `Command: \`${COMMAND}\` — ${ROUNDS} interleaved rounds × ${CYCLES} sequential cycles per side, then ${CONCURRENT} cycles ${CONCURRENCY} at a time for the broker, the durable floor and raw SQL (${WARMUP} warm-up cycles per side first).`,
      `Machine: ${cpus().length} vCPU, ${/mariadb/i.test(serverVersion) ? serverVersion : `MySQL ${serverVersion}`} on 127.0.0.1 over TCP, node ${process.version}; run on ${new Date().toISOString().slice(0, 10)}.`,
      '',
      'A cycle is provision → bind → unbind → deprovision of one instance on the small plan. Times are per cycle, in ms.',
      '',
      '| run | side | cycles | median | p95 | provision / bind / unbind / deprovision (medians) | errors |',
      '|---|---|---:|---:|---:|---|---:|',
      row('sequential', 'broker', sequential.broker.length, seq.broker, errors.broker.length),
      row('sequential', 'direct', sequential.direct.length, seq.direct, errors.direct.length),
      row('sequential', 'floor', sequential.floor.length, seq.floor, errors.floor.length),
      row('sequential', 'raw', sequential.raw.length, seq.raw, errors.raw.length),
      row(`${CONCURRENCY} at a time`, 'broker', concurrent.broker.timings.length, con.broker, concurrent.broker.errors.length),
      row(`${CONCURRENCY} at a time`, 'floor', concurrent.floor.timings.length, con.floor, concurrent.floor.errors.length),
      row(`${CONCURRENCY} at a time`, 'raw', concurrent.raw.timings.length, con.raw, concurrent.raw.errors.length),
      '',
      `- **Broker / durable floor: ${ratio(floorRatio)}** (medians). Target ≤ ${TARGET_FLOOR_RATIO}×: ${floorRatio <= TARGET_FLOOR_RATIO ? 'met' : '**missed**'}. The floor sends the raw statements plus one committed claim before and one committed outcome after each step (8 writes a cycle, no reads, no HTTP): the least any broker pays whose operations survive a crash (bench/mysql/durable-floor.ts).`,
      `- Durable floor / raw SQL: ${ratio(seq.floor.median / seq.raw.median)}; broker / raw SQL: ${ratio(medianRatio)} (${ratio(p95Ratio)} at p95).`,
      `- ${CONCURRENCY} at a time: the broker did ${CONCURRENT} cycles in ${(concurrent.broker.wallMs / 1000).toFixed(1)} s (${throughput('broker').toFixed(1)} cycles/s) with ${concurrent.broker.errors.length} errors; durable floor ${throughput('floor').toFixed(1)} cycles/s; raw SQL ${throughput('raw').toFixed(1)} cycles/s (${ratio(throughput('raw') / throughput('broker'))} the broker's rate).`,
      `- Where a broker cycle's time goes (means of the sequential runs, ${ms(seq.broker.mean)} ms in all): the broker's methods ${ms(inMethods)} ms (the in-process side alone: ${ms(seq.direct.mean)} ms; raw SQL: ${ms(seq.raw.mean)} ms), ` +
        `the SDK's MySQL state store ${ms(inStore)} ms, HTTP and the SDK's request handling ${ms(rest)} ms.`,
      `- What each side sends per cycle. Raw SQL: ${rawCount} statements (${STEPS.map((step) => `${step}: ${RAW_STATEMENTS[step].join(', ')}`).join('; ')}). ` +
        `Broker: ${total(meter.admin)} admin statements (${describeCounts(meter.admin)}), ${total(meter.storeCalls)} state store statements (${describeCounts(meter.storeCalls)}) and 4 HTTP requests. ` +
        `Step by step: ${STEPS.map((step) => `${step}: ${describeCounts(meter.perStep.get(step) ?? new Map())}`).join('; ')}.`,
      '- The difference is the bookkeeping the raw side skips, by design: the broker records each database in its registry before making it, in one statement that also checks no database of that name exists yet (so it never adopts one it did not make; a name another instance holds is refused too), records each binding user before CREATE USER, in the statement that checks the database still exists (a resumed bind finds its record and drops a half-made user first), reads the users of unfinished bindings at deprovision with the sessions to kill, and forgets both records (the quota enforcer and deprovision read them); the SDK keeps every operation in the MySQL store with compare-and-set writes so replicas can share it and a crash can resume. The raw figures are a floor, not an alternative. The broker\'s quota enforcer was not running.',
      `- One statement of each kind the broker adds, on this server (medians of 200, one at a time): a committed single-row write ${costs.committedWriteMs.toFixed(2)} ms, a read of one row by key ${costs.keyReadMs.toFixed(2)} ms, a process list read ${costs.processListReadMs.toFixed(2)} ms. ` +
        `Beyond the floor a broker cycle sends ${storeReads} store reads (the floor's ${storeWrites} store writes it shares), ${registryStatements} registry statements (${registryStatements - 1} committed writes: the database's and the user's record and forgetting both; 1 read of a deprovision's leftover users and sessions) and 4 HTTP requests. ` +
        `The broker's mean cycle is ${ms(gapMs)} ms longer than the floor's; the extra statements explain about ${ms(explainedMs)} ms of it, the rest is this process's own work: node's CPU per cycle (user + system, broker and client in one process) was ${ms(cpuMs.broker / brokerCycles)} ms for the broker against ${ms(cpuMs.floor / Math.max(1, sequential.floor.length))} ms for the floor and ${ms(cpuMs.raw / Math.max(1, sequential.raw.length))} ms for raw SQL, and one event loop runs it between the statements (HTTP and the SDK's request handling outside the store and the broker: ${ms(rest / 4)} ms a request). Where that CPU goes is below.`,
      profileReport({ wallMs: gapMs, statementsMs: explainedMs }, profiled, counted, brokerStatements, floorStatements),
      `- Cleanup: dropped ${cleaned.databases} database(s) (the broker's state database) and ${cleaned.users} account(s); ${left} left behind. Errors in all runs: ${allErrors}.`,
    ].join('\n');
    console.log(`\n## MySQL broker\n\n${report}\n`);
    if (DOCS !== '-') {
      writeDocsSection(DOCS, MYSQL_HEADING, report);
      console.error(`written to ${DOCS}`);
    }
    if (failed) console.error('FAILED: errors or leftovers, see above');
  } finally {
    if (env) await closeEnvironment(env);
    // Also after a failure half-way: nothing of this run may stay on the server.
    await cleanup(root).catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
    await root.end().catch(() => undefined);
  }
  if (failed) process.exitCode = 1;
}

/** Sampled busy time of the parts whose names start with one of `prefixes`, ms per cycle. */
function partMs(summary: ProfileSummary, ...prefixes: string[]): number {
  return summary.parts.filter(([name]) => prefixes.some((prefix) => name.startsWith(prefix))).reduce((sum, [, value]) => sum + value, 0);
}

function partWritesMs(summary: ProfileSummary, prefix: string): number {
  return summary.parts.filter(([name]) => name.startsWith(prefix)).reduce((sum, [, , written]) => sum + written, 0);
}

/** Where the broker's CPU goes: instructions per cycle (callgrind), then the sampling profile's parts and functions. */
function profileReport(
  gap: { wallMs: number; statementsMs: number },
  profiled: { broker: ProfiledSide; floor: ProfiledSide },
  counted: { broker: CountedSide; floor: CountedSide } | undefined,
  brokerStatements: number,
  floorStatements: number,
): string {
  const { broker, floor } = profiled;
  const b = broker.summary;
  const d2 = (value: number): string => value.toFixed(2);
  const share = (value: number): string => `${Math.round((100 * value) / b.busyMs)} %`;
  const statementsMs = partMs(b, 'statements', 'mysql2 reading');
  const httpMs = partMs(b, 'OsbClient', 'SDK server and engine', 'node:http', 'other:', 'bench driver');
  const ownMs = partMs(b, 'SDK state store', 'MySQL broker', 'SDK, other');
  const runtimeMs = partMs(b, '(garbage collector)', '(program)');
  const ownFunctions = b.selfTime.filter(([name]) => / dist\/(sdk|brokers)\//.test(name));
  const top = b.selfTime.slice(0, 8).map(([name, value]) => `${name.replace(/ (dist|node_modules)\//, ' ')} ${share(value)}`).join('; ');
  const lines: string[] = [];
  if (counted) {
    const millions = (value: number): string => (value / 1e6).toFixed(2);
    const thousands = (value: number): string => `${Math.round(value / 1000).toLocaleString('en')},000`;
    const perStatement = counted.floor.mainThread / floorStatements;
    const extraStatements = (brokerStatements - floorStatements) * perStatement;
    const perRequest = (counted.broker.mainThread - counted.floor.mainThread - extraStatements) / 4;
    lines.push(
      `- Where the broker's CPU goes, in user-space instructions per cycle (callgrind; each side alone in a fresh process, ${CALLGRIND_CYCLES} cycles counted after ${CALLGRIND_WARMUP} uncounted: \`${countCommand('broker', CALLGRIND_CYCLES, CALLGRIND_WARMUP)}\`, and the same with floor; same machine and run as above). ` +
        `Main thread (the event loop, where everything of a cycle runs): broker ${millions(counted.broker.mainThread)} million, durable floor ${millions(counted.floor.mainThread)} million (**${ratio(counted.broker.mainThread / counted.floor.mainThread)}**). ` +
        `All threads, with V8's compiler and garbage collector threads beside it: ${millions(counted.broker.allThreads)} and ${millions(counted.floor.allThreads)} million. ` +
        `The floor's main thread spends about ${thousands(perStatement)} instructions a statement (${floorStatements} statements and their JSON, mysql2 and socket work); at that rate the broker's ${brokerStatements - floorStatements} extra statements make ${millions(extraStatements)} million, ` +
        `and the rest, ${millions(perRequest * 4)} million, is the 4 HTTP requests with both their ends in this process and the SDK's and the broker's work for each: about ${thousands(perRequest)} a request, ` +
        `of which bare node:http itself takes about ${thousands(BARE_HTTP_CLIENT_INSTRUCTIONS + BARE_HTTP_SERVER_INSTRUCTIONS)} (${thousands(BARE_HTTP_CLIENT_INSTRUCTIONS)} for a keep-alive client's call, see OSB client below, and ${thousands(BARE_HTTP_SERVER_INSTRUCTIONS)} for a server's answer, see SDK instructions above). ` +
        `The floor has no HTTP at all: the floor plus 4 bare node:http requests alone would be ${ratio((counted.floor.mainThread + 4 * (BARE_HTTP_CLIENT_INSTRUCTIONS + BARE_HTTP_SERVER_INSTRUCTIONS)) / counted.floor.mainThread)} the floor's main-thread instructions.`,
    );
  }
  lines.push(
    `- The same in time, by V8's sampling profiler (${broker.result.cycles} cycles after ${WARMUP} of warm-up: \`${profileCommand('broker', broker.result.cycles, WARMUP)}\`, then \`node dist/bench/mysql/profile-summary.js broker.cpuprofile ${broker.result.cycles}\` for every function). ` +
      `CPU a cycle (process.cpuUsage, all threads): broker ${d2(broker.result.cpuMs)} ms, its main thread ${d2(broker.result.mainThreadCpuMs)} ms; floor ${d2(floor.result.cpuMs)} and ${d2(floor.result.mainThreadCpuMs)} ms. ` +
      `The broker's main thread was busy ${d2(b.busyMs)} ms a cycle: ${share(statementsMs)} sending its ${brokerStatements} statements and reading the answers (BoundedPool, mysql2 and the socket; the write system calls that wake MySQL alone ${share(partWritesMs(b, 'statements'))}, which on a busy host includes this thread waiting for a CPU once MySQL runs: callgrind's counts above leave that out), ` +
      `${share(httpMs)} the 4 HTTP requests (OsbClient ${share(partMs(b, 'OsbClient'))}, the SDK's server and engine ${share(partMs(b, 'SDK server and engine'))}, node:http's parsing and sockets ${share(partMs(b, 'node:http'))}, timers, streams and promise jobs ${share(partMs(b, 'other:', 'bench driver'))}), ` +
      `${share(ownMs)} the MySQL store's and the broker's own code (records to and from JSON, names, checks), ${share(runtimeMs)} garbage collection and V8 itself. ` +
      `Busiest functions by self time: ${top}. No single function of the SDK or the broker takes more than ${share(Math.max(0, ...ownFunctions.map(([, value]) => value)))}: the gap is the count of statements and requests, not one hot spot.`,
    `- Adding up the gap in time: the broker's mean cycle is ${ms(gap.wallMs)} ms longer than the floor's; the server's time for the extra statements is about ${ms(gap.statementsMs)} ms (above) and the extra main-thread CPU ${ms(broker.result.mainThreadCpuMs - floor.result.mainThreadCpuMs)} ms (profile runs), ` +
      `which leaves about ${ms(Math.max(0, gap.wallMs - gap.statementsMs - (broker.result.mainThreadCpuMs - floor.result.mainThreadCpuMs)))} ms that no profile attributes: the event loop's turns between the 4 requests' hops (each request crosses it at both ends) and waiting for one of the 2 vCPUs, which MySQL, V8's compiler threads and the rest of the host share.`,
    '- mysql2 used to capture a stack trace for every statement (its trace option), for errors the store and the broker replace by sanitised ones anyway: 18.5 % of the broker\'s main-thread instructions (5.39 million a cycle with it, 4.39 million without; the floor\'s 2.01 and 1.35 million; callgrind as above, 100 cycles after 300, on 2026-12-07). It is off for every pool, the floor\'s included, so the ratio of the two grew while both got cheaper. ' +
      `Warm-up: after 3 cycles, as this bench had before, V8 still ran much of the broker's code in its baseline tiers, and the broker took about 9.5 ms of CPU a cycle against about 6 after 100 or more.`,
  );
  return lines.join('\n');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
