import { createServer, type IncomingMessage } from 'node:http';
import Database from 'better-sqlite3';
import { WalCheckpointer } from '../../sdk/store/sqlite-checkpointer';
import { answerCreated, arg, checkpointMode, portArg, readBody, ready } from './common';

/**
 * The floor for a create that must survive a crash: bare node:http plus the two writes any
 * such server makes, and nothing else (no auth, validation, idempotency reads or logging).
 * The claim is committed before the work would start and the outcome before the answer,
 * both in the same SQLite mode, with the same per-turn group commit and background WAL
 * checkpoints as the SDK's store (or, with `--checkpoints auto`, SQLite's own, as the SDK's store then).
 * Its distance from bare node:http is the price of durability alone.
 */
const db = new Database(arg('db')!);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
if (checkpointMode() === 'thread') {
  // Checkpoints off the serving thread, as the SDK's store does them by default.
  db.pragma('wal_autocheckpoint = 0');
  new WalCheckpointer({ file: arg('db')!, intervalMs: 200, onFailure: () => db.pragma('wal_autocheckpoint = 1000') });
}
db.exec(`
  CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    op_state TEXT,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS records_pending ON records (op_state) WHERE op_state = 'in progress';
`);
const insert = db.prepare('INSERT OR IGNORE INTO records (id, version, state, op_state, updated_at, doc) VALUES (?, 1, ?, ?, ?, ?)');
const update = db.prepare('UPDATE records SET version = version + 1, state = ?, op_state = ?, updated_at = ?, doc = ? WHERE id = ? AND version = ?');
const begin = db.prepare('BEGIN IMMEDIATE');
const commit = db.prepare('COMMIT');

let commitScheduled = false;
let waiting: Array<() => void> = [];

function write(run: () => void): void {
  if (!db.inTransaction) begin.run();
  run();
  if (!commitScheduled) {
    commitScheduled = true;
    setImmediate(() => {
      commitScheduled = false;
      if (db.inTransaction) commit.run();
      const released = waiting;
      waiting = [];
      for (const resolve of released) resolve();
    });
  }
}

function committed(): Promise<void> {
  return db.inTransaction ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve();
}

async function create(id: string, req: IncomingMessage): Promise<void> {
  const body = await readBody(req);
  const at = new Date().toISOString();
  const claim = { id, request: body, state: 'creating', operation: { state: 'in progress', startedAt: at }, createdAt: at, updatedAt: at };
  write(() => insert.run(id, claim.state, 'in progress', at, JSON.stringify(claim)));
  await committed();
  const done = { ...claim, state: 'created', operation: { state: 'succeeded', startedAt: at, updatedAt: at } };
  write(() => update.run(done.state, null, at, JSON.stringify(done), id, 1));
  await committed();
}

const server = createServer((req, res) => {
  const url = req.url ?? '';
  if (req.method === 'PUT' && url.startsWith('/v2/service_instances/')) {
    void create(url, req).then(() => answerCreated(res, url));
    return;
  }
  res.writeHead(404).end();
});
const port = portArg();
server.listen(port, '127.0.0.1', () => ready(port));
