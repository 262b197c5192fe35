'use strict';
/* global setTimeout, setInterval, Buffer */
// The app the MySQL end-to-end suite pushes to the cell. It reads its binding from
// VCAP_SERVICES, connects with mysql2 (copied next to it into node_modules) and does what
// ACTION says, printing one "RESULT ..." line per outcome for the test to find in the logs:
//   write        creates table `items` and inserts ROWS rows        RESULT write ok rows=N
//   read         counts the rows, then tries an INSERT              RESULT read ok count=N / RESULT insert ok|denied code=X
//   insert-loop  every LOOP_MS: fills `filler` with 1 KB rows until the first refusal,
//                then probes with one small row at a time         RESULT loop seq=N phase=fill|probe ok|denied code=X
//   isolation    its own login, root on the same server, CONTROLLER_PORT and 5432 on that host
//                                                                   RESULT isolation own|root|controller|postgres ...
// After a one-shot action the app stays up, so the cell does not restart it and repeat it.
const mysql = require('mysql2/promise');

const action = process.env.ACTION || 'write';
const rows = Number(process.env.ROWS || 3);
const loopMs = Number(process.env.LOOP_MS || 250);
const fillBatch = Number(process.env.FILL_BATCH || 200);

function say(line) {
  console.log(`RESULT ${line}`);
}

function binding() {
  const services = JSON.parse(process.env.VCAP_SERVICES || '{}');
  const entry = (services.mysql || [])[0];
  if (!entry) throw new Error('VCAP_SERVICES has no mysql binding');
  return entry.credentials;
}

async function connect() {
  const c = binding();
  const connection = await mysql.createConnection({ host: c.hostname, port: c.port, user: c.username, password: c.password, database: c.name, connectTimeout: 5000 });
  // A session the server kills while idle is reported as an 'error' event; the next query fails and reconnects.
  connection.on('error', () => undefined);
  return connection;
}

/** The driver's error code; errors without one (a session the server closed) say so and give the message. */
function codeOf(error) {
  if (error && typeof error.code === 'string') return error.code;
  return `NONE message=${JSON.stringify(String((error && error.message) || error))}`;
}

function stayUp() {
  setInterval(() => undefined, 60 * 60 * 1000);
}

async function write() {
  const connection = await connect();
  try {
    await connection.query('CREATE TABLE IF NOT EXISTS items (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(100) NOT NULL)');
    for (let i = 1; i <= rows; i++) await connection.query('INSERT INTO items (note) VALUES (?)', [`written by the app, row ${i}`]);
    say(`write ok rows=${rows}`);
  } finally {
    await connection.end();
  }
}

async function read() {
  const connection = await connect();
  try {
    const [result] = await connection.query('SELECT COUNT(*) AS n FROM items');
    say(`read ok count=${result[0].n}`);
    try {
      await connection.query('INSERT INTO items (note) VALUES (?)', ['written by a read-only binding']);
      say('insert ok');
    } catch (error) {
      say(`insert denied code=${codeOf(error)}`);
    }
  } finally {
    await connection.end();
  }
}

/** One TCP connection attempt: `open`, or the error code that ended it (a refusal, or `TIMEOUT`). */
function tryPort(host, port) {
  const net = require('node:net');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 3000 });
    socket.on('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve('TIMEOUT');
    });
    socket.on('error', (error) => resolve(error.code || 'ERROR'));
  });
}

/**
 * What the app's network lets through: its own binding works, the same server refuses the admin
 * account the host uses (ROOT_USER, ROOT_PASSWORD; root's accounts are limited to localhost), and the platform's ports (CONTROLLER_PORT) do not answer.
 */
async function isolation() {
  const c = binding();
  const own = await connect();
  const [result] = await own.query('SELECT CURRENT_USER() AS who');
  say(`isolation own ok user=${String(result[0].who).split('@')[0]}`);
  await own.end();
  try {
    const rootConnection = await mysql.createConnection({
      host: c.hostname,
      port: c.port,
      user: process.env.ROOT_USER || 'root',
      password: process.env.ROOT_PASSWORD || '',
      connectTimeout: 5000,
    });
    say('isolation root ok');
    await rootConnection.end();
  } catch (error) {
    say(`isolation root denied code=${codeOf(error)}`);
  }
  say(`isolation controller ${await tryPort(c.hostname, Number(process.env.CONTROLLER_PORT))}`);
  say(`isolation postgres ${await tryPort(c.hostname, 5432)}`);
}

/** A session killed by the quota enforcer is replaced by a new one, as a real app's pool would. */
async function insertLoop() {
  let connection;
  let phase = 'fill';
  for (let seq = 1; ; seq++) {
    try {
      connection = connection || (await connect());
      if (phase === 'fill') {
        await connection.query('CREATE TABLE IF NOT EXISTS filler (id INT AUTO_INCREMENT PRIMARY KEY, payload VARBINARY(1000))');
        const batch = Array.from({ length: fillBatch }, () => [Buffer.alloc(1000, 7)]);
        await connection.query('INSERT INTO filler (payload) VALUES ?', [batch]);
      } else {
        await connection.query('INSERT INTO filler (payload) VALUES (?)', [Buffer.alloc(10, 7)]);
      }
      say(`loop seq=${seq} phase=${phase} ok`);
    } catch (error) {
      const code = codeOf(error);
      say(`loop seq=${seq} phase=${phase} denied code=${code}`);
      if (code === 'ER_TABLEACCESS_DENIED_ERROR') phase = 'probe';
      if (connection) await connection.end().catch(() => undefined);
      connection = undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, loopMs));
  }
}

const actions = { write, read, 'insert-loop': insertLoop, isolation };
const run = actions[action];
if (!run) {
  say(`error unknown ACTION ${action}`);
  stayUp();
} else {
  run()
    .then(stayUp)
    .catch((error) => {
      say(`error code=${codeOf(error)}`);
      stayUp();
    });
}
