import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

/**
 * npm run bench:instructions -- <catalog|provision|bind> [requests] [sdk|node-http|durable-floor]
 *
 * CPU instructions per request of a bench server (the SDK's by default), counted by
 * valgrind's callgrind. Counts move by a few per cent between runs, where req/s on a shared
 * machine moves by tens of per cent, so this is how a change of some per cent is told from
 * noise. Only the server's user-space
 * work counts (all its threads; system calls' kernel time does not), and valgrind runs it
 * about fifty times slower, so this measures work, not speed: bench:sdk remains the speed
 * figure. The server first answers BENCH_WARMUP requests (10,000) uncounted, so that V8 has
 * compiled the hot path; then counting starts and it answers the measured ones.
 */

const SERVICE = '3f6b2a8e-bench-4c1d-9e5f-000000000001';
const PLAN = '3f6b2a8e-bench-4c1d-9e5f-000000000002';
const HEADERS = {
  'x-broker-api-version': '2.17',
  authorization: `Basic ${Buffer.from('bench:bench-secret').toString('base64')}`,
  'content-type': 'application/json',
};

type Scenario = 'catalog' | 'provision' | 'bind';

const scenario = process.argv[2] as Scenario;
const measured = Number(process.argv[3] ?? 4000);
const warmup = Number(process.env.BENCH_WARMUP ?? 10000);
const serverName = process.argv[4] ?? 'sdk';

let unique = 0;
function requests(): autocannon.Request[] {
  if (scenario === 'catalog') return [{ method: 'GET', path: '/v2/catalog', headers: HEADERS }];
  const body = scenario === 'provision'
    ? JSON.stringify({ service_id: SERVICE, plan_id: PLAN, organization_guid: 'org', space_guid: 'space', parameters: { character_set: 'utf8mb4' } })
    : JSON.stringify({ service_id: SERVICE, plan_id: PLAN, bind_resource: { app_guid: 'app' }, parameters: { read_only: false } });
  return [{
    method: 'PUT',
    headers: HEADERS,
    body,
    setupRequest: (req: autocannon.Request) => {
      unique++;
      const path = scenario === 'provision' ? `/v2/service_instances/p-${unique}` : `/v2/service_instances/bind-target/service_bindings/b-${unique}`;
      return { ...req, path };
    },
  }];
}

async function fire(port: number, amount: number): Promise<void> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 16, amount, timeout: 120, requests: requests() });
  if (result.errors + result.non2xx > 0) throw new Error(`${result.errors + result.non2xx} requests failed`);
}

async function main(): Promise<void> {
  if (!['catalog', 'provision', 'bind'].includes(scenario) || !(measured > 0) || !['sdk', 'node-http', 'durable-floor'].includes(serverName)) {
    throw new Error('usage: npm run bench:instructions -- <catalog|provision|bind> [requests] [sdk|node-http|durable-floor]');
  }
  const work = mkdtempSync(join(tmpdir(), 'osbkit-instructions-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const counts = join(work, 'callgrind.out');
  const server = spawn('valgrind', [
    '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${counts}`,
    process.execPath, join(__dirname, 'servers', `${serverName}.js`), '--port', String(port), '--db', join(work, 'state.db'), '--log', join(work, 'broker.log'),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  try {
    // Under valgrind the server takes a while to listen.
    const deadline = Date.now() + 120_000;
    for (;;) {
      // Any answer will do: the durable floor serves no catalog.
      const up = await fetch(`http://127.0.0.1:${port}/v2/catalog`, { headers: HEADERS }).then(() => true, () => false);
      if (up) break;
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the server did not start under valgrind:\n${stderr.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const target = await fetch(`http://127.0.0.1:${port}/v2/service_instances/bind-target`, {
      method: 'PUT',
      headers: HEADERS,
      body: JSON.stringify({ service_id: SERVICE, plan_id: PLAN, organization_guid: 'org', space_guid: 'space' }),
    });
    // The baselines accept any path; the SDK needs the instance that bind binds to.
    if (target.status !== 201) throw new Error(`could not provision the bind target: ${target.status}`);
    await fire(port, warmup);
    execFileSync('callgrind_control', ['--instr=on', String(server.pid)], { stdio: 'ignore' });
    await fire(port, measured);
    server.kill('SIGINT');
    await exited;
    const summary = /^summary:\s+(\d+)/m.exec(readFileSync(counts, 'utf8'));
    if (!summary) throw new Error('callgrind wrote no summary');
    const perRequest = Number(summary[1]) / measured;
    console.log(`${scenario} on ${serverName}: ${Math.round(perRequest).toLocaleString('en')} instructions per request (${measured} requests counted after ${warmup} uncounted, node ${process.version})`);
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
