import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The house rules on who may import whom, read from the sources: the SDK stands alone, a
 * broker uses only the SDK, the platform never reaches into a broker (the CLI is where the
 * two meet), and nothing imports itself round a cycle, type-only imports included.
 */

const ROOT = resolve(__dirname, '..', '..');
const CODE_DIRS = ['sdk', 'brokers', 'platform', 'cli', 'examples', 'bench'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const files = CODE_DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir)));
const known = new Set(files);

/** The project files a file imports or re-exports from, as paths relative to the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const targets: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']*)'/g)) {
    const base = resolve(dirname(file), match[1]!);
    const target = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => known.has(candidate));
    if (target) targets.push(relative(ROOT, target));
  }
  return targets;
}

const graph = new Map(files.map((file) => [relative(ROOT, file), importsOf(file)]));
const area = (path: string): string => path.split('/')[0]!;

it('finds the sources and their imports (a guard against a pattern that matches nothing)', () => {
  expect(graph.size).toBeGreaterThan(100);
  expect(graph.get('sdk/index.ts')!.length).toBeGreaterThan(5);
  expect(graph.get('brokers/mysql/broker.ts')).toEqual(expect.arrayContaining(['sdk/index.ts']));
});

it('sdk/ imports nothing from the brokers, the platform or the CLI', () => {
  const outside = [...graph].flatMap(([from, to]) => (area(from) === 'sdk' ? to.filter((t) => area(t) !== 'sdk').map((t) => `${from} -> ${t}`) : []));
  expect(outside).toEqual([]);
});

it('a broker imports only the SDK and its own files', () => {
  const outside = [...graph].flatMap(([from, to]) => {
    if (area(from) !== 'brokers') return [];
    const own = from.split('/').slice(0, 2).join('/');
    return to.filter((t) => area(t) !== 'sdk' && !t.startsWith(`${own}/`)).map((t) => `${from} -> ${t}`);
  });
  expect(outside).toEqual([]);
});

it('the platform never imports a broker or the CLI', () => {
  const outside = [...graph].flatMap(([from, to]) => (area(from) === 'platform' ? to.filter((t) => area(t) === 'brokers' || area(t) === 'cli').map((t) => `${from} -> ${t}`) : []));
  expect(outside).toEqual([]);
});

it('there are no import cycles', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  expect(cycles).toEqual([]);
});
