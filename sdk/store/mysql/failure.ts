import { MysqlTimeoutError } from './bounded-pool';

/**
 * Driver errors carry the statement text (`sql`), which for CREATE USER holds a password and
 * for the state store whole credential documents. They are replaced at the boundary by
 * MysqlFailure, which keeps only what an operator needs: the statement kind, the error code
 * and, for statements without secrets, the server's message.
 */

/** What a client is told when `subject` ("The MySQL server") did not answer within its timeout. */
export function noAnswerDescription(subject: string, limitMs: number): string {
  return `${subject} did not answer within ${Number((limitMs / 1000).toFixed(3))} s; try again later.`;
}

/** Codes that mean "the server cannot serve us right now", as opposed to "this statement is wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_USER_LIMIT_REACHED',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_HOST_IS_BLOCKED',
  'ER_HOST_NOT_PRIVILEGED',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_OPTION_PREVENTS_STATEMENT',
  // Galera answers this while a node is not part of the primary component.
  'ER_UNKNOWN_COM_ERROR',
]);

export class MysqlFailure extends Error {
  constructor(
    readonly statement: string,
    readonly code: string | undefined,
    readonly errno: number | undefined,
    readonly unavailable: boolean,
    detail: string | undefined,
    /** Set when the server did not answer within this many milliseconds (a connect or query timeout). */
    readonly timeoutMs?: number,
  ) {
    super(`${statement} failed${code ? ` (${code}${errno ? ` ${errno}` : ''})` : ''}${detail ? `: ${detail}` : ''}`);
    this.name = 'MysqlFailure';
  }
}

interface DriverErrorShape {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
  sqlMessage?: unknown;
  errors?: unknown;
}

/** Turns whatever a driver call threw into a MysqlFailure; `secret` hides the server message. */
export function toMysqlFailure(statement: string, thrown: unknown, secret: boolean): MysqlFailure {
  if (thrown instanceof MysqlFailure) return thrown;
  if (thrown instanceof MysqlTimeoutError) {
    const code = thrown.phase === 'connect' ? 'CONNECT_TIMEOUT' : 'QUERY_TIMEOUT';
    // The message is the broker's own ("no answer within … ms") and safe even for a secret statement.
    return new MysqlFailure(statement, code, undefined, true, thrown.message, thrown.limitMs);
  }
  const shape = (typeof thrown === 'object' && thrown !== null ? thrown : {}) as DriverErrorShape;
  const code = typeof shape.code === 'string' ? shape.code : firstNestedCode(shape.errors);
  const errno = typeof shape.errno === 'number' && shape.errno > 0 ? shape.errno : undefined;
  const unavailable = shape.fatal === true || (code !== undefined && UNAVAILABLE_CODES.has(code));
  const detail = secret ? undefined : typeof shape.sqlMessage === 'string' ? shape.sqlMessage : undefined;
  return new MysqlFailure(statement, code, errno, unavailable, detail);
}

/** Node reports a failed multi-address connect as an AggregateError whose parts carry the code. */
function firstNestedCode(nested: unknown): string | undefined {
  if (!Array.isArray(nested)) return undefined;
  for (const item of nested) {
    const code = (item as DriverErrorShape | null)?.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function hasErrorCode(thrown: unknown, code: string): boolean {
  return thrown instanceof MysqlFailure && thrown.code === code;
}

export function isTimeout(thrown: unknown): boolean {
  return thrown instanceof MysqlFailure && thrown.timeoutMs !== undefined;
}
