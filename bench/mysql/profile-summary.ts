import { readFileSync } from 'node:fs';

/**
 * Sums a V8 CPU profile of bench/mysql/profile.js's measured cycles: busy time by part of the
 * cycle (the state store's and the broker's statements, the OsbClient, the SDK's server and
 * engine, node:http, mysql2 reading answers), by area (library or module) and by function.
 *
 * node dist/bench/mysql/profile-summary.js <file.cpuprofile> <cycles> [top]
 *
 * Samples of the inspector itself (stopping the profiler) are left out. The sampler counts the time this thread was busy, and under load that includes time it
 * waited for the CPU inside a system call: socket writes, which wake MySQL or the other end
 * of an HTTP connection, are shown apart for that reason. CPU totals come from
 * process.cpuUsage() in profile.js.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled busy time (not idle), ms per cycle. */
  busyMs: number;
  /** [part, ms per cycle, of which socket writes] by part, largest first. */
  parts: Array<[string, number, number]>;
  /** [area, ms per cycle] of self time. */
  areas: Array<[string, number]>;
  /** [function, ms per cycle] of self time. */
  selfTime: Array<[string, number]>;
  /** [function, ms per cycle] including what it calls. */
  inclusiveTime: Array<[string, number]>;
}

/** The innermost frame of this repository's code on a stack decides its part. */
const PARTS: Array<[RegExp, string]> = [
  [/\/dist\/sdk\/store\/mysql\/bounded-pool/, 'statements, store and broker alike (BoundedPool → mysql2 → socket)'],
  [/\/dist\/sdk\/store\//, 'SDK state store (sdk/store)'],
  [/\/dist\/brokers\/mysql\//, 'MySQL broker (brokers/mysql)'],
  [/\/dist\/sdk\/client\//, 'OsbClient (sdk/client)'],
  [/\/dist\/sdk\/(server|engine)\//, 'SDK server and engine (sdk/server, sdk/engine)'],
  [/\/dist\/sdk\//, 'SDK, other'],
  [/\/dist\/bench\//, 'bench driver (its statements included)'],
];

const SOCKET_WRITES = new Set(['writeBuffer', 'writev', 'writeUtf8String', 'writeLatin1String']);

export function summarizeProfile(profile: CpuProfile, cycles: number, top = 40): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const frame = (id: number): ProfileNode['callFrame'] => byId.get(id)!.callFrame;
  const stack = function* (id: number): Generator<number> {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) yield at;
  };

  const part = (id: number): string => {
    for (const at of stack(id)) for (const [pattern, name] of PARTS) if (pattern.test(frame(at).url)) return name;
    for (const at of stack(id)) {
      const { url } = frame(at);
      if (url.includes('node_modules/mysql2/')) return 'mysql2 reading answers (no call of ours on the stack)';
      if (/node:_http_|find-my-way/.test(url)) return 'node:http parsing and sockets (no call of ours on the stack)';
    }
    const name = frame(id).functionName;
    return name.startsWith('(') ? name : 'other: timers, streams, microtasks';
  };
  const area = (id: number): string => {
    const { url, functionName } = frame(id);
    if (!url) return `(${functionName || 'native'})`;
    const own = /\/dist\/([^/]+\/[^/]+)/.exec(url);
    if (own) return own[1]!;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    return pkg ? pkg[1]! : url;
  };
  const label = (id: number): string => {
    const { functionName, url, lineNumber } = frame(id);
    if (!url) return functionName || '(native)';
    return `${functionName || '(anonymous)'} ${url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}`;
  };

  const add = (map: Map<string, number>, key: string, us: number): void => {
    map.set(key, (map.get(key) ?? 0) + us);
  };
  const parts = new Map<string, number>();
  const writes = new Map<string, number>();
  const areas = new Map<string, number>();
  const selfTime = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    if (frame(id).functionName === '(idle)') continue;
    // Stopping the profiler (the inspector serialises the profile) is no part of a cycle.
    if ([...stack(id)].some((at) => frame(at).url === 'node:inspector')) continue;
    busyUs += us;
    const name = part(id);
    add(parts, name, us);
    if (SOCKET_WRITES.has(frame(id).functionName)) add(writes, name, us);
    add(areas, area(id), us);
    add(selfTime, label(id), us);
    const seen = new Set<string>();
    for (const at of stack(id)) {
      const name = label(at);
      if (!seen.has(name)) add(inclusive, name, us);
      seen.add(name);
    }
  }
  const perCycle = (us: number): number => us / 1000 / cycles;
  const sorted = (map: Map<string, number>, n: number): Array<[string, number]> =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([key, us]) => [key, perCycle(us)]);
  return {
    busyMs: perCycle(busyUs),
    parts: sorted(parts, 20).map(([name, ms]) => [name, ms, perCycle(writes.get(name) ?? 0)]),
    areas: sorted(areas, top),
    selfTime: sorted(selfTime, top),
    inclusiveTime: sorted(inclusive, top),
  };
}

function main(): void {
  const [file, cyclesArg, topArg] = process.argv.slice(2);
  if (!file || !cyclesArg) throw new Error('usage: profile-summary <file.cpuprofile> <cycles> [top]');
  const cycles = Number(cyclesArg);
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, cycles, Number(topArg ?? 40));
  const ms = (value: number): string => value.toFixed(3).padStart(7);
  console.log(`busy ${summary.busyMs.toFixed(3)} ms a cycle (${cycles} cycles)`);
  console.log('\nby part (ms a cycle; in brackets the socket writes within it):');
  for (const [name, value, written] of summary.parts) console.log(`  ${ms(value)}  ${name}${written > 0 ? ` [${written.toFixed(3)}]` : ''}`);
  console.log('\nself time by area (ms a cycle):');
  for (const [name, value] of summary.areas) console.log(`  ${ms(value)}  ${name}`);
  console.log('\nself time by function (ms a cycle):');
  for (const [name, value] of summary.selfTime) console.log(`  ${ms(value)}  ${name}`);
  console.log('\ninclusive time by function (ms a cycle):');
  for (const [name, value] of summary.inclusiveTime) console.log(`  ${ms(value)}  ${name}`);
}

if (require.main === module) main();
