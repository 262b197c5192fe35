import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { HEADERS, provisionBindTarget, requestsFor, SCENARIOS, type Scenario } from './load';
import { prefillSdkStore } from './prefill';

/**
 * npm run bench:instructions -- <catalog|provision|bind> [requests] [sdk|sdk-router|node-http|express|durable-floor]
 *
 * CPU instructions per request of a bench server (the SDK's by default), counted by
 * valgrind's callgrind. Counts move by a few per cent between runs, where req/s on a shared
 * machine moves by tens of per cent, so this is how a change of some per cent is told from
 * noise. Only the server's user-space work counts (all its threads; system calls' kernel
 * time does not), and valgrind runs it about fifty times slower, so this measures work, not
 * speed: bench:sdk remains the speed figure. The server first answers BENCH_WARMUP requests
 * (10,000) uncounted, so that V8 has compiled the hot path; then counting starts and it
 * answers the measured ones.
 *
 * The SQLite servers run with SQLite's own WAL checkpoints (`--checkpoints auto`): the
 * store's checkpoint thread wakes on wall time, so under valgrind on a busy host its share of
 * a request grew with the load (a catalog request counted 78,673 to 89,869 in runs minutes
 * apart); SQLite's own checkpoints do the same copying every 1,000 pages, alike in every run.
 *
 * BENCH_PREFILL=N first fills the SDK's state file with N instances and a binding of each
 * (bench/prefill.ts); BENCH_CALLGRIND_OUT=FILE keeps callgrind's output for callgrind_annotate;
 * BENCH_RUNS=N runs it N times in fresh servers and prints the median too.
 */

export interface CountOptions {
  scenario: Scenario;
  measured: number;
  warmup: number;
  serverName: string;
  /** Instances (each with a binding) in the SDK's store before the server starts. */
  prefill?: number;
  /** Where to keep callgrind's output. */
  keepAs?: string;
}

export const SERVERS = ['sdk', 'sdk-router', 'node-http', 'express', 'durable-floor'];

async function fire(scenario: Scenario, port: number, amount: number): Promise<void> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 16, amount, timeout: 120, requests: requestsFor(scenario) });
  if (result.errors + result.non2xx > 0) throw new Error(`${result.errors + result.non2xx} requests failed`);
}

/** Instructions per counted request. */
export async function countInstructions(options: CountOptions): Promise<number> {
  const { scenario, measured, warmup, serverName } = options;
  // sdk-router is the SDK's bench broker mounted with app.router() in an express app.
  const script = serverName === 'sdk-router' ? 'sdk' : serverName;
  const work = mkdtempSync(join(tmpdir(), 'osbkit-instructions-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const counts = join(work, 'callgrind.out');
  const db = join(work, 'state.db');
  if (options.prefill) {
    if (script !== 'sdk') throw new Error('BENCH_PREFILL fills the SDK store only');
    await prefillSdkStore(db, options.prefill);
  }
  const server = spawn('valgrind', [
    '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${counts}`,
    process.execPath, join(__dirname, 'servers', `${script}.js`), '--port', String(port), '--db', db, '--log', join(work, 'broker.log'),
    '--checkpoints', 'auto',
    ...(serverName === 'sdk-router' ? ['--mode', 'router'] : []),
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
    await provisionBindTarget(port);
    await fire(scenario, port, warmup);
    execFileSync('callgrind_control', ['--instr=on', String(server.pid)], { stdio: 'ignore' });
    await fire(scenario, port, measured);
    server.kill('SIGINT');
    await exited;
    const summary = /^summary:\s+(\d+)/m.exec(readFileSync(counts, 'utf8'));
    if (!summary) throw new Error('callgrind wrote no summary');
    if (options.keepAs) copyFileSync(counts, options.keepAs);
    return Number(summary[1]) / measured;
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const scenario = process.argv[2] as Scenario;
  const measured = Number(process.argv[3] ?? 4000);
  const warmup = Number(process.env.BENCH_WARMUP ?? 10000);
  const serverName = process.argv[4] ?? 'sdk';
  const prefill = Number(process.env.BENCH_PREFILL ?? 0);
  if (!SCENARIOS.includes(scenario) || !(measured > 0) || !SERVERS.includes(serverName)) {
    throw new Error(`usage: npm run bench:instructions -- <catalog|provision|bind> [requests] [${SERVERS.join('|')}]`);
  }
  const runs = Number(process.env.BENCH_RUNS ?? 1);
  const filled = prefill ? `, ${prefill.toLocaleString('en')} instances in the store first` : '';
  const counts: number[] = [];
  for (let run = 0; run < runs; run++) {
    const perRequest = await countInstructions({ scenario, measured, warmup, serverName, prefill, keepAs: process.env.BENCH_CALLGRIND_OUT });
    counts.push(perRequest);
    console.log(`${scenario} on ${serverName}: ${Math.round(perRequest).toLocaleString('en')} instructions per request (${measured} requests counted after ${warmup} uncounted${filled}, node ${process.version})`);
  }
  if (runs > 1) {
    // Now and then a garbage collection or a recompilation falls in the counted window of one run.
    const sorted = [...counts].sort((a, b) => a - b);
    const median = runs % 2 === 1 ? sorted[(runs - 1) / 2]! : (sorted[runs / 2 - 1]! + sorted[runs / 2]!) / 2;
    console.log(`${scenario} on ${serverName}: median of ${runs} runs ${Math.round(median).toLocaleString('en')} instructions per request`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
