import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/process';

/**
 * The WAL checkpoint thread as the built SDK runs it: from the compiled worker module in
 * dist/ (the unit tests run it from the TypeScript source). A process writes a few hundred KB
 * of WAL through a SqliteStore and reports how much the main file grew while the store stayed
 * open: only a checkpoint copies pages into it, and SQLite's own threshold is far off.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osbkit-checkpointer-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mainFileGrowth(checkpointIntervalMs: number, waitMs: number): number {
  const path = join(dir, `state-${checkpointIntervalMs}.db`);
  const script = `
    const { statSync } = require('node:fs');
    const { SqliteStore } = require(${JSON.stringify(join(REPO_ROOT, 'dist', 'sdk'))});
    (async () => {
      const store = new SqliteStore({ path: ${JSON.stringify(path)}, checkpointIntervalMs: ${checkpointIntervalMs} });
      await store.init();
      const before = statSync(${JSON.stringify(path)}).size;
      const padding = 'x'.repeat(800);
      for (let i = 0; i < 400; i++) {
        const at = new Date().toISOString();
        await store.putInstance({ instanceId: 'i-' + i, serviceId: 's', planId: 'p', state: 'provisioned', parameters: { padding }, history: [], createdAt: at, updatedAt: at }, null);
        if (i % 50 === 49) await store.sync();
      }
      await store.sync();
      const deadline = Date.now() + ${waitMs};
      while (statSync(${JSON.stringify(path)}).size - before < 200000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      const grown = statSync(${JSON.stringify(path)}).size - before;
      await store.close();
      process.stdout.write(String(grown));
    })();
  `;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`the store process failed: ${result.stderr}`);
  return Number(result.stdout);
}

it('the compiled checkpoint thread copies the WAL into the main file while the store serves writes', () => {
  expect(mainFileGrowth(10, 3_000)).toBeGreaterThanOrEqual(200_000);
});

it('with the thread off, the main file does not grow within the same writes (the control)', () => {
  expect(mainFileGrowth(0, 300)).toBeLessThan(200_000);
});
