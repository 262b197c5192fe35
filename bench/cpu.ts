import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { provisionBindTarget, requestsFor, SCENARIOS, type Scenario } from './load';
import { cpuMicros } from './proc-cpu';

/**
 * npm run bench:cpu -- <catalog|provision|bind> [requests] [runs] [build ...]
 *
 * The SDK bench server's CPU time per request (all its threads, from /proc) over a fixed
 * number of requests, in a fresh process with a fresh state file for each run, after 20,000
 * requests of warm-up. bench:sdk measures req/s, which autocannon caps when it shares the
 * machine; a fixed count of requests measures what each answer costs, and is steady to a few
 * per cent. To compare two versions, build both and name their compiled trees (the
 * directory holding bench/servers/sdk.js; the default is this one): the runs interleave, so
 * drift on the machine hits each alike.
 */

const scenario = process.argv[2] as Scenario;
const requests = Number(process.argv[3] ?? 60_000);
const runs = Number(process.argv[4] ?? 3);
const builds = process.argv.length > 5 ? process.argv.slice(5).map((dir) => resolve(dir)) : [resolve(__dirname, '..')];
const WARMUP = 20_000;
const CONNECTIONS = 16;

async function fire(port: number, amount: number): Promise<number> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, amount, requests: requestsFor(scenario) });
  if (result.errors + result.non2xx > 0) throw new Error(`${result.errors + result.non2xx} requests failed`);
  return result.requests.total;
}

/** One fresh server of `build`: its CPU µs per request over `requests` requests. */
async function run(build: string): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'osbkit-cpu-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = fork(join(build, 'bench', 'servers', 'sdk.js'), ['--port', String(port), '--db', join(work, 'state.db'), '--log', join(work, 'broker.log')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    await new Promise<void>((ready, fail) => {
      server.once('message', () => ready());
      server.once('exit', (code) => fail(new Error(`the server of ${build} exited with ${code}`)));
    });
    await provisionBindTarget(port);
    await fire(port, WARMUP);
    const before = cpuMicros(server.pid!);
    const answered = await fire(port, requests);
    return (cpuMicros(server.pid!) - before) / answered;
  } finally {
    server.kill('SIGTERM');
    await new Promise((done) => (server.exitCode === null ? server.once('exit', done) : done(undefined)));
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!SCENARIOS.includes(scenario) || !(requests > 0) || !(runs > 0)) {
    throw new Error('usage: npm run bench:cpu -- <catalog|provision|bind> [requests] [runs] [build ...]');
  }
  const results = new Map<string, number[]>(builds.map((build) => [build, []]));
  for (let round = 0; round < runs; round++) {
    // Alternating the order too keeps a build from always following the same neighbour.
    for (const build of round % 2 ? [...builds].reverse() : builds) {
      const cpu = await run(build);
      results.get(build)!.push(cpu);
      console.error(`run ${round + 1} ${build}: ${cpu.toFixed(1)} µs/req`);
    }
  }
  console.log(`${scenario}, ${requests} requests per run after ${WARMUP} of warm-up, ${CONNECTIONS} connections, node ${process.version}`);
  for (const [build, values] of results) {
    const sorted = [...values].sort((a, b) => a - b);
    console.log(`${build}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs/req (runs: ${values.map((v) => v.toFixed(1)).join(', ')})`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
