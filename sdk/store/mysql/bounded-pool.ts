import { Socket } from 'node:net';
import type { PoolConnection as CorePoolConnection } from 'mysql2';
import type { Pool, PoolConnection } from 'mysql2/promise';

/**
 * A mysql2 pool whose every wait has an end. mysql2 bounds the TCP connect and handshake of a
 * new connection (connectTimeout), but not the wait for a free connection of a full pool, and
 * its per-query `timeout` neither closes the connection nor hands it back: the timed-out query
 * keeps its connection checked out until the server answers, so a server that never answers
 * leaks one pool slot per timeout, and then every later query waits forever. Here each wait
 * has its own timer, and a connection whose statement timed out is destroyed: a statement that
 * was sent may still run on the server, and its late answer must never be read as the answer
 * to a later statement.
 */

export interface MysqlTimeouts {
  /** How long to wait for a connection: a new one's connect and handshake, or a free one of a full pool. */
  connectTimeoutMs: number;
  /** How long a statement may go unanswered once it is handed to its connection. */
  queryTimeoutMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

/** The server did not answer in time. The text is the broker's own and holds no statement. */
export class MysqlTimeoutError extends Error {
  constructor(
    readonly phase: 'connect' | 'query',
    readonly limitMs: number,
  ) {
    super(phase === 'connect' ? `no connection within ${limitMs} ms` : `no answer within ${limitMs} ms`);
    this.name = 'MysqlTimeoutError';
  }
}

type SqlValue = string | number | boolean | null;

/** One connection taken from a BoundedPool, for one statement or a pinned session of several. */
export class BoundedConnection {
  private finished = false;

  constructor(
    private readonly connection: PoolConnection,
    private readonly queryTimeoutMs: number,
  ) {}

  /** Sends one statement; a timeout or a fatal error destroys the connection before it is reported. */
  async send(sql: string, values: SqlValue[], prepared: boolean): Promise<unknown> {
    const answer = prepared ? this.connection.execute(sql, values) : this.connection.query(sql, values);
    try {
      const [result] = await withDeadline(answer, this.queryTimeoutMs, () => new MysqlTimeoutError('query', this.queryTimeoutMs));
      return result;
    } catch (error) {
      if (error instanceof MysqlTimeoutError || isFatal(error)) this.destroy();
      throw error;
    }
  }

  /** Hands the connection back to the pool, unless a failure already destroyed it. */
  release(): void {
    if (this.finished) return;
    this.finished = true;
    this.connection.release();
  }

  /**
   * Takes the connection out of the pool and closes its socket at once. mysql2's destroy only
   * half-closes it, and a server that does not answer would keep it open until it resumes.
   */
  destroy(): void {
    if (this.finished) return;
    this.finished = true;
    this.connection.destroy();
    // The core connection's socket is not in mysql2's types; it is checked before use.
    const stream: unknown = Reflect.get(this.connection.connection, 'stream');
    if (stream instanceof Socket) stream.destroy();
  }
}

export class BoundedPool {
  constructor(
    private readonly pool: Pool,
    readonly timeouts: MysqlTimeouts,
  ) {}

  /** Each new connection, before its first statement; what it sends is queued ahead of that statement. */
  onConnection(setup: (connection: CorePoolConnection) => void): void {
    this.pool.pool.on('connection', setup);
  }

  async acquire(): Promise<BoundedConnection> {
    const limitMs = this.timeouts.connectTimeoutMs;
    let abandoned = false;
    const pending = this.pool.getConnection();
    try {
      const connection = await withDeadline(pending, limitMs, () => {
        abandoned = true;
        return new MysqlTimeoutError('connect', limitMs);
      });
      return new BoundedConnection(connection, this.timeouts.queryTimeoutMs);
    } catch (error) {
      // A connection that arrives after its caller gave up goes straight back to the pool.
      if (abandoned) pending.then((late) => late.release(), () => undefined);
      // mysql2's own connect timer has the same limit and may fire first.
      if (!abandoned && hasCode(error, 'ETIMEDOUT')) throw new MysqlTimeoutError('connect', limitMs);
      throw error;
    }
  }

  /** One statement on a pooled connection, bounded by the connect and the query timeouts in turn. */
  async send(sql: string, values: SqlValue[], prepared: boolean): Promise<unknown> {
    const connection = await this.acquire();
    try {
      return await connection.send(sql, values, prepared);
    } finally {
      connection.release();
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/** Settles with `work`, or rejects with `timeout()` after `ms`; `work` settling later is ignored. */
function withDeadline<T>(work: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeout()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function isFatal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { fatal?: unknown }).fatal === true;
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
