import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/process';

/** A broker process that ends must not lose the log lines it still held. */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osbkit-log-exit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runChild(name: string, ending: string): { status: number | null; log: string } {
  const path = join(dir, `${name}.ndjson`);
  const script = `
    const { createLogger, createLogDestination } = require(${JSON.stringify(join(REPO_ROOT, 'dist', 'sdk'))});
    const logger = createLogger({ name: ${JSON.stringify(name)}, destination: createLogDestination({ path: ${JSON.stringify(path)}, flushIntervalMs: 60000 }) });
    for (let i = 0; i < 3; i++) logger.info({ i }, 'line');
    ${ending}
  `;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, log: readFileSync(path, 'utf8') };
}

const numbers = (log: string): unknown[] => log.trim().split('\n').map((line) => (JSON.parse(line) as { i: unknown }).i);

it('process.exit flushes the held lines', () => {
  const { status, log } = runChild('exit', 'process.exit(3);');
  expect(status).toBe(3);
  expect(numbers(log)).toEqual([0, 1, 2]);
});

it('an uncaught exception still flushes the held lines', () => {
  const { status, log } = runChild('crash', "setImmediate(() => { throw new Error('boom'); });");
  expect(status).toBe(1);
  expect(numbers(log)).toEqual([0, 1, 2]);
});

it('a process that simply runs out of work flushes them too (the timer does not keep it alive)', () => {
  const { status, log } = runChild('quiet', '');
  expect(status).toBe(0);
  expect(numbers(log)).toEqual([0, 1, 2]);
});
