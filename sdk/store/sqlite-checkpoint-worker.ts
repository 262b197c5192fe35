import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * The WAL checkpoint thread's own code, loaded only as a worker's entry (sqlite-checkpointer.ts
 * starts it and imports nothing but its types): a second connection
 * to the store's file copies committed pages from the WAL into the main file every
 * `intervalMs`, with PASSIVE checkpoints, which never block writers. On 'stop' it makes one
 * last checkpoint, closes and ends.
 */

export interface CheckpointWorkerData {
  file: string;
  intervalMs: number;
}

/** What the thread is told: only to stop. */
export type CheckpointWorkerMessage = 'stop';

function isWorkerData(value: unknown): value is CheckpointWorkerData {
  if (typeof value !== 'object' || value === null) return false;
  const { file, intervalMs } = value as Record<string, unknown>;
  return typeof file === 'string' && typeof intervalMs === 'number' && intervalMs > 0;
}

function run(port: NonNullable<typeof parentPort>, data: CheckpointWorkerData): void {
  const db = new Database(data.file);
  db.pragma('busy_timeout = 1000');
  const checkpoint = (): void => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy (another checkpointer, a writer holding on): the next tick tries again.
    }
  };
  const timer = setInterval(checkpoint, data.intervalMs);
  port.on('message', (message: unknown) => {
    if (message !== ('stop' satisfies CheckpointWorkerMessage)) return;
    clearInterval(timer);
    checkpoint();
    db.close();
    port.close();
  });
}

if (parentPort) {
  if (!isWorkerData(workerData)) throw new Error('the WAL checkpoint thread needs { file, intervalMs }');
  run(parentPort, workerData);
}
