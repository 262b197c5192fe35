import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import mysql, { type Connection, type Pool, type RowDataPacket } from 'mysql2/promise';
import pino from 'pino';
import { createBroker, OsbClient, type BrokerApp, type StateStore } from '../sdk';
import { createMysqlBroker, mysqlCatalogPath, parseMysqlUrl, type MysqlBrokerHandle, type StatementKind } from '../brokers/mysql';
import { createMysqlPool } from '../brokers/mysql/admin-sql';
import { InProcessCycle } from './mysql/in-process';
import { RAW_STATEMENTS, RawSqlCycle, STEPS, type CycleStep } from './mysql/raw-sql';
import { median, ms, percentile, ratio, writeSection } from './mysql/report';

/**
 * npm run bench:mysql — one tenant lifecycle (provision, bind, unbind, deprovision) through
 * the MySQL broker over HTTP, against the same tenant-facing SQL sent straight with mysql2.
 * The broker runs as in production: createBroker with the MysqlStore on the same server,
 * listening on 127.0.0.1, driven by the SDK's OsbClient. A third side calls the broker's
 * methods in-process (no HTTP, no SDK state) to show where the difference comes from.
 * Rounds interleave the sides so drift on the machine hits them alike; then the broker and
 * the raw SQL each run a batch of cycles concurrently, which must finish without a single
 * error. Every database and user made here is dropped.
 *
 * Options (env): MYSQL_URL (mysql://root@127.0.0.1:3306), BENCH_ROUNDS (3),
 * BENCH_CYCLES (sequential cycles per side and round, 25), BENCH_CONCURRENT (100),
 * BENCH_CONCURRENCY (10), BENCH_DOCS (docs/benchmarks.md; "-" to skip writing).
 */

const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const ROUNDS = positiveInteger('BENCH_ROUNDS', 3);
const CYCLES = positiveInteger('BENCH_CYCLES', 25);
const CONCURRENT = positiveInteger('BENCH_CONCURRENT', 100);
const CONCURRENCY = positiveInteger('BENCH_CONCURRENCY', 10);
const WARMUP = 3;
const TARGET_RATIO = 1.3;
const DOCS = process.env.BENCH_DOCS ?? join(__dirname, '..', '..', 'docs', 'benchmarks.md');
const COMMAND = 'npm run bench:mysql';

const SERVICE_ID = '48717e83-ba87-4331-a4e2-ac6e1da9c8aa';
const PLAN_SMALL = '21e3abc7-b405-40bd-b0ef-f04c01783e9d';
const PLAN = { service_id: SERVICE_ID, plan_id: PLAN_SMALL };

/** Short, so it survives in the 13 characters a user name keeps of a binding id. */
const prefix = `b${randomBytes(4).toString('hex')}`;
const stateDatabase = `osbkit_${prefix}_state`;

type Side = 'broker' | 'direct' | 'raw';
type Cycle = Record<CycleStep, (instanceId: string, bindingId: string) => Promise<unknown>>;

interface CycleTiming {
  totalMs: number;
  steps: Record<CycleStep, number>;
}

interface BatchResult {
  timings: CycleTiming[];
  errors: string[];
  wallMs: number;
}

function positiveInteger(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

let counter = 0;
function ids(side: Side): { instanceId: string; bindingId: string } {
  counter++;
  return { instanceId: `${prefix}-${side}-i${counter}`, bindingId: `${prefix}-${counter}` };
}

async function runCycle(side: Side, cycle: Cycle): Promise<CycleTiming> {
  const { instanceId, bindingId } = ids(side);
  const steps = {} as Record<CycleStep, number>;
  const began = performance.now();
  for (const step of STEPS) {
    const start = performance.now();
    await cycle[step](instanceId, bindingId);
    steps[step] = performance.now() - start;
  }
  return { totalMs: performance.now() - began, steps };
}

/** `count` cycles, `concurrency` at a time; a failed cycle is counted and described, not thrown. */
async function batch(side: Side, cycle: Cycle, count: number, concurrency: number): Promise<BatchResult> {
  const result: BatchResult = { timings: [], errors: [], wallMs: 0 };
  let next = 0;
  const began = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
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

/** Counts what the broker sends: admin statements by kind, and state store calls (one statement each). */
class StatementCounter {
  enabled = false;
  /** Time spent in state store calls while `timing` is set (calls run one at a time then). */
  timing = false;
  storeMs = 0;
  readonly admin = new Map<string, number>();
  readonly store = new Map<string, number>();

  onStatement = (kind: StatementKind): void => {
    if (this.enabled) this.admin.set(kind, (this.admin.get(kind) ?? 0) + 1);
  };

  wrapStore(store: StateStore): StateStore {
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (this.enabled) this.store.set(String(property), (this.store.get(String(property)) ?? 0) + 1);
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!this.timing || !(result instanceof Promise)) return result;
          const began = performance.now();
          return result.finally(() => {
            this.storeMs += performance.now() - began;
          });
        };
      },
    });
  }

  total(map: Map<string, number>): number {
    return [...map.values()].reduce((sum, n) => sum + n, 0);
  }

  describe(map: Map<string, number>): string {
    return [...map.entries()].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${kind} ${n}`).join(', ');
  }
}

interface Environment {
  root: Connection;
  handle: MysqlBrokerHandle;
  direct: MysqlBrokerHandle;
  app: BrokerApp;
  closeServer: () => Promise<void>;
  client: OsbClient;
  rawPool: Pool;
}

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

function summarize(timings: readonly CycleTiming[]): { median: number; p95: number; steps: Record<CycleStep, number> } {
  const steps = {} as Record<CycleStep, number>;
  for (const step of STEPS) steps[step] = median(timings.map((t) => t.steps[step]));
  return { median: median(timings.map((t) => t.totalMs)), p95: percentile(timings.map((t) => t.totalMs), 95), steps };
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
  const counter = new StatementCounter();
  let env: Environment | undefined;
  let failed = false;
  try {
    const [[versionRow]] = await root.query<RowDataPacket[]>('SELECT VERSION() AS v');
    const serverVersion = String(versionRow!.v);
    const logger = pino({ level: 'silent' });
    const handle = createMysqlBroker({ ...admin, stateDatabase, onStatement: counter.onStatement }, logger);
    if (!handle.store) throw new Error('the MySQL broker came without its MySQL state store');
    const auth = { username: 'bench', password: randomBytes(18).toString('base64url') };
    const app = createBroker({ catalog: mysqlCatalogPath, broker: handle.broker, store: counter.wrapStore(handle.store), auth, logger });
    const { url, server } = await app.listen(0, '127.0.0.1');
    const closeServer = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
    const client = new OsbClient({ url, ...auth });
    // The broker's own pool settings and size (AdminSql's default of 4), so neither side has more connections.
    const rawPool = createMysqlPool(admin, 5_000, 4);
    // Same registry tables, its own pools, no SDK store.
    const direct = createMysqlBroker({ ...admin, stateDatabase, stateStore: false }, logger);
    env = { root, handle, direct, app, closeServer, client, rawPool };

    const broker: Cycle = {
      provision: async (instanceId) => expectStatus(await client.provision(instanceId, { ...PLAN, organization_guid: 'bench-org', space_guid: 'bench-space' }), 201),
      bind: async (instanceId, bindingId) => expectStatus(await client.bind(instanceId, bindingId, { ...PLAN, bind_resource: { app_guid: 'bench-app' } }), 201),
      unbind: async (instanceId, bindingId) => expectStatus(await client.unbind(instanceId, bindingId, PLAN), 200),
      deprovision: async (instanceId) => expectStatus(await client.deprovision(instanceId, PLAN), 200),
    };
    const rawSql = new RawSqlCycle(rawPool);
    const raw: Cycle = {
      provision: (instanceId) => rawSql.provision(instanceId),
      bind: (instanceId, bindingId) => rawSql.bind(instanceId, bindingId),
      unbind: (instanceId, bindingId) => rawSql.unbind(instanceId, bindingId),
      deprovision: (instanceId) => rawSql.deprovision(instanceId),
    };
    const inProcess = new InProcessCycle(direct.broker, app.catalog, PLAN_SMALL, logger);
    const directCycle: Cycle = {
      provision: (instanceId) => inProcess.provision(instanceId),
      bind: (instanceId, bindingId) => inProcess.bind(instanceId, bindingId),
      unbind: (instanceId, bindingId) => inProcess.unbind(instanceId, bindingId),
      deprovision: (instanceId) => inProcess.deprovision(instanceId),
    };
    const cycles: Record<Side, Cycle> = { broker, direct: directCycle, raw };

    console.error(`MySQL broker bench: ${serverVersion}, node ${process.version}, ${cpus().length} CPUs; prefix ${prefix}`);
    // Warm-up (connections, JIT, the store's tables), then one counted broker cycle.
    for (const side of ['broker', 'direct', 'raw'] as const) await batch(side, cycles[side], WARMUP, 1);
    counter.enabled = true;
    await runCycle('broker', broker);
    counter.enabled = false;

    const sequential: Record<Side, CycleTiming[]> = { broker: [], direct: [], raw: [] };
    const errors: Record<Side, string[]> = { broker: [], direct: [], raw: [] };
    const orders: Side[][] = [['broker', 'direct', 'raw'], ['raw', 'broker', 'direct'], ['direct', 'raw', 'broker']];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const side of orders[(round - 1) % orders.length]!) {
        counter.timing = side === 'broker';
        const result = await batch(side, cycles[side], CYCLES, 1);
        counter.timing = false;
        sequential[side].push(...result.timings);
        errors[side].push(...result.errors);
        const s = summarize(result.timings);
        console.error(`round ${round} ${side.padEnd(6)} ${CYCLES} cycles  median ${ms(s.median)} ms  p95 ${ms(s.p95)} ms${result.errors.length ? `  errors ${result.errors.length}` : ''}`);
      }
    }
    const concurrent: Partial<Record<Side, BatchResult>> = {};
    for (const side of ['broker', 'raw'] as const) {
      const result = await batch(side, cycles[side], CONCURRENT, CONCURRENCY);
      concurrent[side] = result;
      console.error(`concurrent ${side.padEnd(6)} ${CONCURRENT} cycles, ${CONCURRENCY} at a time: ${(result.wallMs / 1000).toFixed(1)} s, ${result.errors.length} errors`);
      for (const message of [...new Set(result.errors)].slice(0, 5)) console.error(`  error: ${message}`);
    }

    const seq = { broker: summarize(sequential.broker), direct: summarize(sequential.direct), raw: summarize(sequential.raw) };
    const storePerCycle = counter.storeMs / Math.max(1, sequential.broker.length);
    const con = { broker: summarize(concurrent.broker!.timings), raw: summarize(concurrent.raw!.timings) };
    const medianRatio = seq.broker.median / seq.raw.median;
    const p95Ratio = seq.broker.p95 / seq.raw.p95;
    const throughput = (side: Side): number => (concurrent[side]!.timings.length / concurrent[side]!.wallMs) * 1000;
    const concurrentRatio = throughput('raw') / throughput('broker');
    const brokerErrors = errors.broker.length + concurrent.broker!.errors.length;
    const rawErrors = errors.raw.length + errors.direct.length + concurrent.raw!.errors.length;
    const rawCount = STEPS.reduce((n, step) => n + RAW_STATEMENTS[step].length, 0);

    // The broker goes first, so nothing of it touches its state database while it is dropped.
    await closeEnvironment(env);
    const cleaned = await cleanup(root);
    const left = await leftovers(root);
    failed = brokerErrors > 0 || rawErrors > 0 || left > 0;

    const stepCells = (s: { steps: Record<CycleStep, number> }): string => STEPS.map((step) => ms(s.steps[step])).join(' / ');
    const report = [
      `Command: \`${COMMAND}\` (${ROUNDS} interleaved rounds × ${CYCLES} sequential cycles per side, then ${CONCURRENT} cycles ${CONCURRENCY} at a time per side; ${WARMUP} warm-up cycles each).`,
      `Machine: ${cpus().length} vCPU, ${serverVersion} on 127.0.0.1 (TCP), node ${process.version}. Run on ${new Date().toISOString().slice(0, 10)}.`,
      '',
      'One cycle is provision → bind → unbind → deprovision of one instance on the small plan.',
      '',
      '| run | side | cycles | median ms | p95 ms | provision / bind / unbind / deprovision, median ms | errors |',
      '|---|---|---:|---:|---:|---|---:|',
      `| sequential | broker (HTTP) | ${sequential.broker.length} | ${ms(seq.broker.median)} | ${ms(seq.broker.p95)} | ${stepCells(seq.broker)} | ${errors.broker.length} |`,
      `| sequential | broker methods in-process (no HTTP, no SDK state) | ${sequential.direct.length} | ${ms(seq.direct.median)} | ${ms(seq.direct.p95)} | ${stepCells(seq.direct)} | ${errors.direct.length} |`,
      `| sequential | raw SQL | ${sequential.raw.length} | ${ms(seq.raw.median)} | ${ms(seq.raw.p95)} | ${stepCells(seq.raw)} | ${errors.raw.length} |`,
      `| ${CONCURRENCY} at a time | broker (HTTP) | ${concurrent.broker!.timings.length} | ${ms(con.broker.median)} | ${ms(con.broker.p95)} | ${stepCells(con.broker)} | ${concurrent.broker!.errors.length} |`,
      `| ${CONCURRENCY} at a time | raw SQL | ${concurrent.raw!.timings.length} | ${ms(con.raw.median)} | ${ms(con.raw.p95)} | ${stepCells(con.raw)} | ${concurrent.raw!.errors.length} |`,
      '',
      `- Broker / raw SQL, sequential: **${ratio(medianRatio)} median**, ${ratio(p95Ratio)} p95 (target ≤ ${TARGET_RATIO}×: ${medianRatio <= TARGET_RATIO ? 'met' : 'MISSED'}).`,
      `- Where the broker's time goes (sequential medians; store time is a mean): tenant SQL ${ms(seq.raw.median)} ms; the broker's own checks and registry rows ${ms(seq.direct.median - seq.raw.median)} ms (in-process − raw); ` +
        `the SDK's state store ${ms(storePerCycle)} ms; HTTP and SDK request handling the remaining ${ms(seq.broker.median - seq.direct.median - storePerCycle)} ms.`,
      `- ${CONCURRENCY} at a time: broker ${throughput('broker').toFixed(1)} cycles/s (${(concurrent.broker!.wallMs / 1000).toFixed(1)} s for ${CONCURRENT}), raw SQL ${throughput('raw').toFixed(1)} cycles/s: raw is ${ratio(concurrentRatio)} faster; broker errors: ${concurrent.broker!.errors.length}.`,
      `- What each side sends per cycle. Raw SQL: ${rawCount} statements (${STEPS.map((step) => RAW_STATEMENTS[step].join(', ')).join('; ')}). ` +
        `Broker: ${counter.total(counter.admin)} admin statements (${counter.describe(counter.admin)}) plus ${counter.total(counter.store)} state-store calls (${counter.describe(counter.store)}), ` +
        'and four HTTP requests. The extra admin statements are its safety checks (does the database exist, is the name taken, a DROP USER before CREATE USER so a repeated bind starts clean, a second session sweep after DROP USER) and its registry rows, which the quota enforcer and deprovision rely on; the store calls are the SDK\'s operation state, written with compare-and-set so replicas can share it. The raw side does none of that, so it is a floor, not an alternative.',
      `- Cleanup: dropped ${cleaned.databases} database(s) (the broker's state database included) and ${cleaned.users} account(s) left by the run; ${left} left behind.`,
    ].join('\n');
    console.log(`\n## MySQL broker\n\n${report}\n`);
    if (DOCS !== '-') {
      writeSection(DOCS, report);
      console.error(`written to ${DOCS}`);
    }
    if (failed) console.error('FAILED: errors or leftovers; see above');
  } finally {
    if (env) await closeEnvironment(env);
    // Also after a crash half-way: nothing of this run may stay on the server.
    await cleanup(root).catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
    await root.end().catch(() => undefined);
  }
  if (failed) process.exitCode = 1;
}

const closed = new WeakSet<Environment>();
async function closeEnvironment(env: Environment): Promise<void> {
  if (closed.has(env)) return;
  closed.add(env);
  await env.closeServer().catch(() => undefined);
  await env.app.close().catch(() => undefined);
  await env.handle.close().catch(() => undefined);
  await env.direct.close().catch(() => undefined);
  await env.rawPool.end().catch(() => undefined);
}

function expectStatus(answer: { status: number }, status: number): void {
  if (answer.status !== status) throw new Error(`expected HTTP ${status}, got ${answer.status}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  process.exitCode = 1;
});
