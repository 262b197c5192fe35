import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import mysql from 'mysql2/promise';
import pino from 'pino';
import { createBroker, OsbClient } from '../../sdk';
import { createMysqlBroker, mysqlCatalogPath, parseMysqlUrl } from '../../brokers/mysql';
import { createMysqlPool } from '../../brokers/mysql/admin-sql';
import { threadCpuMicros } from '../proc-cpu';
import { DurableFloorCycle } from './durable-floor';
import { RawSqlCycle, STEPS } from './raw-sql';

/**
 * node dist/bench/mysql/profile.js [broker|floor] [cycles]
 *
 * Runs `cycles` (default 300) sequential cycles of one side of bench:mysql alone in this
 * process (the broker side as bench:mysql runs it: the SDK's server, the MySQL broker, its
 * MySQL store and the OsbClient), after PROFILE_WARMUP cycles of warm-up (100), and prints
 * this process's CPU per cycle: all threads, and its main thread (the event loop) alone.
 *
 * - PROFILE_CPU=FILE writes a V8 CPU profile of the measured cycles only (no start-up, no
 *   warm-up); node dist/bench/mysql/profile-summary.js FILE CYCLES sums it by part, by area
 *   and by function.
 * - PROFILE_RESULT=FILE writes the CPU figures as JSON (ProfileResult), for bench:mysql.
 * - Under valgrind --tool=callgrind --instr-atstart=no, PROFILE_CALLGRIND=1 switches counting
 *   on for the measured cycles only; callgrind_annotate --inclusive=yes then gives uv_run's
 *   count (the main thread) apart from the compiler and GC threads'.
 *
 * Every database and user it made is dropped at the end.
 */

export interface ProfileResult {
  side: 'broker' | 'floor';
  cycles: number;
  /** Per cycle, in ms: this process's CPU (user + system, all threads), its main thread's, and wall time. */
  cpuMs: number;
  mainThreadCpuMs: number;
  wallMs: number;
}

const side = process.argv[2] === 'floor' ? 'floor' : 'broker';
const cycles = Number(process.argv[3] ?? 300);
const warmup = Number(process.env.PROFILE_WARMUP ?? 100);
const SERVICE_ID = '48717e83-ba87-4331-a4e2-ac6e1da9c8aa';
const PLAN = { service_id: SERVICE_ID, plan_id: '21e3abc7-b405-40bd-b0ef-f04c01783e9d' };
const prefix = `p${randomBytes(4).toString('hex')}`;
const stateDatabase = `osbkit_${prefix}_state`;

async function main(): Promise<void> {
  const address = parseMysqlUrl(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306');
  const admin = { host: address.host, port: address.port ?? 3306, user: address.user, password: address.password };
  const logger = pino({ level: 'silent' });
  const handle = createMysqlBroker({ ...admin, stateDatabase }, logger);
  const auth = { username: 'bench', password: randomBytes(18).toString('base64url') };
  const app = createBroker({ catalog: mysqlCatalogPath, broker: handle.broker, store: handle.store!, auth, logger });
  const { url, server } = await app.listen(0, '127.0.0.1');
  const client = new OsbClient({ url, ...auth });
  const rawPool = createMysqlPool(admin, 5_000, 4);
  const floorPool = createMysqlPool(admin, 5_000, 4);
  const floor = new DurableFloorCycle(floorPool, new RawSqlCycle(rawPool), stateDatabase);
  await app.start();
  await floor.init();
  const expect = (answer: { status: number }, status: number): void => {
    if (answer.status !== status) throw new Error(`expected HTTP ${status}, got ${answer.status}`);
  };
  let n = 0;
  const cycle = async (): Promise<void> => {
    n++;
    const instanceId = `${prefix}-i${n}`;
    const bindingId = `${prefix}-${n}`;
    if (side === 'floor') {
      for (const step of STEPS) await floor[step](instanceId, bindingId);
      return;
    }
    expect(await client.provision(instanceId, { ...PLAN, organization_guid: 'bench-org', space_guid: 'bench-space' }), 201);
    expect(await client.bind(instanceId, bindingId, { ...PLAN, bind_resource: { app_guid: 'bench-app' } }), 201);
    expect(await client.unbind(instanceId, bindingId, PLAN), 200);
    expect(await client.deprovision(instanceId, PLAN), 200);
  };
  try {
    for (let i = 0; i < warmup; i++) await cycle();
    if (process.env.PROFILE_CALLGRIND === '1') await callgrind('on');
    const profiler = process.env.PROFILE_CPU ? await startProfiler() : undefined;
    const before = process.cpuUsage();
    const mainBefore = mainThreadCpuMs();
    const began = performance.now();
    for (let i = 0; i < cycles; i++) await cycle();
    const cpu = process.cpuUsage(before);
    const mainMs = mainThreadCpuMs() - mainBefore;
    const wall = performance.now() - began;
    if (process.env.PROFILE_CALLGRIND === '1') await callgrind('off');
    if (profiler) writeFileSync(process.env.PROFILE_CPU!, JSON.stringify(await profiler()));
    const result: ProfileResult = { side, cycles, cpuMs: (cpu.user + cpu.system) / 1000 / cycles, mainThreadCpuMs: mainMs / cycles, wallMs: wall / cycles };
    if (process.env.PROFILE_RESULT) writeFileSync(process.env.PROFILE_RESULT, JSON.stringify(result));
    console.log(
      `${side}: ${cycles} cycles after ${warmup} of warm-up; per cycle CPU ${result.cpuMs.toFixed(2)} ms (user ${(cpu.user / 1000 / cycles).toFixed(2)}, system ${(cpu.system / 1000 / cycles).toFixed(2)}), ` +
        `main thread ${result.mainThreadCpuMs.toFixed(2)} ms, wall ${result.wallMs.toFixed(2)} ms`,
    );
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close().catch(() => undefined);
    await handle.close().catch(() => undefined);
    await rawPool.end();
    await floorPool.end();
    const root = await mysql.createConnection(admin);
    await root.query(`DROP DATABASE IF EXISTS \`${stateDatabase}\``);
    const [users] = await root.query<mysql.RowDataPacket[]>('SELECT User AS user, Host AS host FROM mysql.user WHERE User LIKE ?', [`%${prefix}%`]);
    for (const row of users) await root.query('DROP USER IF EXISTS ?@?', [String(row.user), String(row.host)]);
    const [dbs] = await root.query<mysql.RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`%${prefix}%`]);
    for (const row of dbs) await root.query(`DROP DATABASE IF EXISTS \`${String(row.name)}\``);
    await root.end();
  }
}

/** Starts V8's sampling profiler in this process; the function returned stops it and hands over the profile. */
async function startProfiler(): Promise<() => Promise<object>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    session.disconnect();
    return profile;
  };
}

/** Asynchronously, so the event loop (and valgrind's polling of its command file) keeps running. */
function callgrind(state: 'on' | 'off'): Promise<void> {
  return new Promise((resolve, reject) => {
    const control = spawn('callgrind_control', [`--instr=${state}`, String(process.pid)], { stdio: ['ignore', 'inherit', 'inherit'] });
    control.once('error', reject);
    control.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`callgrind_control exited with ${code}`))));
  });
}

function mainThreadCpuMs(): number {
  return threadCpuMicros(process.pid, process.pid) / 1000;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
