import { countInstructions } from './instructions';
import type { Scenario } from './load';

/**
 * npm run bench:growth -- [requests] [instances]
 *
 * How the SDK's cost grows with what its store holds: instructions per provision and per bind
 * (bench:instructions, callgrind) on an empty SQLite store and on one filled first with
 * `instances` instances (100,000 by default), each with a binding (bench/prefill.ts). The
 * target is a rate at least 0.9× the empty store's, that is at most 1/0.9 = 1.11× its
 * instructions. Empty and filled runs alternate, so nothing else on the host tells them apart.
 */

const measured = Number(process.argv[2] ?? 4000);
const instances = Number(process.argv[3] ?? 100_000);
const warmup = Number(process.env.BENCH_WARMUP ?? 10000);

async function main(): Promise<void> {
  const scenarios: Scenario[] = ['provision', 'bind'];
  for (const scenario of scenarios) {
    const empty = await countInstructions({ scenario, measured, warmup, serverName: 'sdk' });
    const filled = await countInstructions({ scenario, measured, warmup, serverName: 'sdk', prefill: instances });
    const rate = empty / filled;
    console.log(
      `${scenario}: ${Math.round(empty).toLocaleString('en')} instructions per request on an empty store, ${Math.round(filled).toLocaleString('en')} with ${instances.toLocaleString('en')} instances: ${rate.toFixed(2)}× the empty store's rate (target ≥ 0.90×)`,
    );
  }
  console.log(`(${measured} requests counted after ${warmup} uncounted, node ${process.version})`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
