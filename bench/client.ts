import { execFile, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OsbClient } from '../sdk/client';
import { closeOsbAgents, createOsbAgents } from '../sdk/client/agent';
import { writeDocsSection } from './docs-section';

/**
 * npm run bench:client — CPU per call of the SDK's OsbClient against a bare node:http request
 * over a keep-alive agent, to the same tiny server (bench/client/tiny-server.ts, in a process
 * of its own, so only the client's CPU is counted). Bare fetch runs as a second reference.
 *
 * Two calls: a provision (PUT with a JSON body, answered 201) and a last_operation poll (GET,
 * answered 200). The bare sides send the same method, path, headers and body and JSON.parse
 * the answer; the client adds what it is for: a request identity, the timeout, the answer's
 * size and depth limits, status checks and typed answers. Calls go one at a time.
 *
 * Two figures, as for the SDK: user-space instructions per call under valgrind's callgrind
 * (the primary one, steady under load: each side runs twice, with BENCH_COUNTED_CALLS and
 * three times as many calls, and the difference is divided by the extra calls, so start-up
 * and warm-up cancel out), then CPU time per call from process.cpuUsage() (user + system) in
 * interleaved rounds without valgrind, the median round counting.
 *
 * The figures go to docs/benchmarks.md under "## OSB client".
 *
 * Options (env): BENCH_CALLS (calls per side and round, 4000), BENCH_ROUNDS (7),
 * BENCH_COUNTED_CALLS (2000; 0 skips callgrind), BENCH_DOCS (docs/benchmarks.md; "-" to skip writing).
 */

const CALLS = positiveInteger('BENCH_CALLS', 4000);
const ROUNDS = positiveInteger('BENCH_ROUNDS', 7);
const COUNTED_CALLS = Number(process.env.BENCH_COUNTED_CALLS ?? 2000);
const WARMUP = 2000;
const TARGET = 1.2;
const DOCS = process.env.BENCH_DOCS ?? join(__dirname, '..', '..', 'docs', 'benchmarks.md');
const HEADING = '## OSB client';

const PROVISION_BODY = { service_id: 'service-1', plan_id: 'plan-1', organization_guid: 'org-1', space_guid: 'space-1' };
const PROVISION_TEXT = JSON.stringify(PROVISION_BODY);
const AUTH = { username: 'platform', password: 'bench-secret' };
const AUTH_HEADER = `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')}`;

type Call = 'provision' | 'poll';
type Side = 'osb-client' | 'node-http' | 'fetch';
const SIDES: Side[] = ['osb-client', 'node-http', 'fetch'];
const CALL_KINDS: Call[] = ['provision', 'poll'];

function positiveInteger(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

function headersFor(call: Call): Record<string, string> {
  const headers: Record<string, string> = {
    'x-broker-api-version': '2.17',
    'x-broker-api-request-identity': 'a3f1c2de-0000-4000-8000-000000000000',
    accept: 'application/json',
    authorization: AUTH_HEADER,
  };
  if (call === 'provision') {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(PROVISION_TEXT));
  }
  return headers;
}

function pathFor(call: Call, n: number): string {
  return call === 'provision' ? `/v2/service_instances/i-${n}` : `/v2/service_instances/i-${n}/last_operation`;
}

function bareNodeHttp(port: number, agent: Agent, call: Call, n: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sent = request({ agent, hostname: '127.0.0.1', port, method: call === 'provision' ? 'PUT' : 'GET', path: pathFor(call, n), headers: headersFor(call) }, (answer: IncomingMessage) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      answer.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(call === 'provision' ? PROVISION_TEXT : undefined);
  });
}

async function bareFetch(port: number, call: Call, n: number): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}${pathFor(call, n)}`, {
    method: call === 'provision' ? 'PUT' : 'GET',
    headers: headersFor(call),
    ...(call === 'provision' ? { body: PROVISION_TEXT } : {}),
    redirect: 'manual',
  });
  return response.json();
}

async function startServer(): Promise<{ port: number; stop: () => void }> {
  const child = fork(join(__dirname, 'client', 'tiny-server.js'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  return { port, stop: () => child.kill() };
}

/** CPU microseconds per call over `count` sequential calls. */
async function measure(count: number, one: (n: number) => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  for (let n = 0; n < count; n++) await one(n);
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / count;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

type Calls = Record<Side, Record<Call, (n: number) => Promise<unknown>>>;

function callsFor(port: number, client: OsbClient, bareAgent: Agent): Calls {
  return {
    'osb-client': {
      provision: (n) => client.provision(`i-${n}`, PROVISION_BODY),
      poll: (n) => client.instanceLastOperation(`i-${n}`),
    },
    'node-http': {
      provision: (n) => bareNodeHttp(port, bareAgent, 'provision', n),
      poll: (n) => bareNodeHttp(port, bareAgent, 'poll', n),
    },
    fetch: {
      provision: (n) => bareFetch(port, 'provision', n),
      poll: (n) => bareFetch(port, 'poll', n),
    },
  };
}

/** Runs `calls` calls of one side against a server of its own; what valgrind counts. */
async function runCounted(side: Side, call: Call, count: number): Promise<void> {
  const server = await startServer();
  const agents = createOsbAgents();
  const bareAgent = new Agent({ keepAlive: true });
  try {
    const client = new OsbClient({ url: `http://127.0.0.1:${server.port}`, ...AUTH, agent: agents });
    await measure(count, callsFor(server.port, client, bareAgent)[side][call]);
  } finally {
    closeOsbAgents(agents);
    bareAgent.destroy();
    server.stop();
  }
}

function instructionsOf(side: Side, call: Call, count: number): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'osbkit-client-bench-'));
  const out = join(work, 'callgrind.out');
  return new Promise<number>((resolve, reject) => {
    execFile('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, __filename, '--count', side, call, String(count)], { maxBuffer: 16 * 1024 * 1024 }, (error) => {
      if (error) return reject(error);
      const summary = /^summary:\s+(\d+)/m.exec(readFileSync(out, 'utf8'));
      if (!summary) return reject(new Error('callgrind wrote no summary'));
      resolve(Number(summary[1]));
    });
  }).finally(() => rmSync(work, { recursive: true, force: true }));
}

/** Instructions per call in steady state: the extra instructions of 3n calls over n, per extra call. */
async function instructionsPerCall(side: Side, call: Call): Promise<number> {
  const few = await instructionsOf(side, call, COUNTED_CALLS);
  const many = await instructionsOf(side, call, 3 * COUNTED_CALLS);
  return (many - few) / (2 * COUNTED_CALLS);
}

async function main(): Promise<void> {
  const counted: Partial<Record<Side, Record<Call, number>>> = {};
  if (COUNTED_CALLS > 0) {
    for (const side of SIDES) {
      counted[side] = { provision: await instructionsPerCall(side, 'provision'), poll: await instructionsPerCall(side, 'poll') };
      console.error(`${side}: ${Math.round(counted[side].provision)} instructions per provision, ${Math.round(counted[side].poll)} per poll`);
    }
  }
  const server = await startServer();
  const agents = createOsbAgents();
  const bareAgent = new Agent({ keepAlive: true });
  try {
    const client = new OsbClient({ url: `http://127.0.0.1:${server.port}`, ...AUTH, agent: agents });
    const calls = callsFor(server.port, client, bareAgent);
    for (const side of SIDES) for (const call of CALL_KINDS) await measure(WARMUP, calls[side][call]);
    const results: Record<Side, Record<Call, number[]>> = {
      'osb-client': { provision: [], poll: [] },
      'node-http': { provision: [], poll: [] },
      fetch: { provision: [], poll: [] },
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with another side.
      const order = SIDES.map((_, i) => SIDES[(i + round) % SIDES.length]!);
      for (const side of order) for (const call of CALL_KINDS) results[side][call].push(await measure(CALLS, calls[side][call]));
    }
    const us = (value: number): string => value.toFixed(1);
    const thousands = (value: number): string => Math.round(value).toLocaleString('en');
    const label = (call: Call): string => (call === 'provision' ? 'provision (PUT, 201)' : 'last_operation (GET, 200)');
    const lines = [
      `Command: \`npm run bench:client\`; machine: ${cpus().length} vCPU, node ${process.version}; run on ${new Date().toISOString().slice(0, 10)}. Calls go one at a time to a tiny server in another process; only the calling process is measured.`,
      '',
    ];
    let worst = 0;
    if (COUNTED_CALLS > 0) {
      lines.push(
        `Instructions per call (callgrind, user space, all threads; ${3 * COUNTED_CALLS} calls counted against ${COUNTED_CALLS}, the difference per extra call):`,
        '',
        '| call | OsbClient | bare node:http (keep-alive) | bare fetch | OsbClient / node:http |',
        '|---|---:|---:|---:|---:|',
      );
      for (const call of CALL_KINDS) {
        const osb = counted['osb-client']![call];
        const bare = counted['node-http']![call];
        worst = Math.max(worst, osb / bare);
        lines.push(`| ${label(call)} | ${thousands(osb)} | ${thousands(bare)} | ${thousands(counted.fetch![call])} | ${(osb / bare).toFixed(2)}× |`);
      }
      lines.push('');
    }
    lines.push(
      `CPU time per call (process.cpuUsage, user + system; ${ROUNDS} interleaved rounds × ${CALLS} calls per side and call after ${WARMUP} warm-up calls, median round; moves with the host's load):`,
      '',
      '| call | OsbClient | bare node:http (keep-alive) | bare fetch | OsbClient / node:http |',
      '|---|---:|---:|---:|---:|',
    );
    for (const call of CALL_KINDS) {
      const osb = median(results['osb-client'][call]);
      const bare = median(results['node-http'][call]);
      if (COUNTED_CALLS === 0) worst = Math.max(worst, osb / bare);
      lines.push(`| ${label(call)} | ${us(osb)} µs | ${us(bare)} µs | ${us(median(results.fetch[call]))} µs | ${(osb / bare).toFixed(2)}× |`);
    }
    lines.push('', `Target ≤ ${TARGET}× a bare node:http keep-alive request per call${COUNTED_CALLS > 0 ? ', in instructions' : ''}: ${worst <= TARGET ? 'met' : '**missed**'} (worst call ${worst.toFixed(2)}×).`);
    const report = lines.join('\n');
    console.log(`\n${HEADING}\n\n${report}\n`);
    if (DOCS !== '-') {
      writeDocsSection(DOCS, HEADING, report);
      console.error(`written to ${DOCS}`);
    }
  } finally {
    closeOsbAgents(agents);
    bareAgent.destroy();
    server.stop();
  }
}

const entry = process.argv[2] === '--count'
  ? runCounted(process.argv[3] as Side, process.argv[4] as Call, Number(process.argv[5]))
  : main();
entry.catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
