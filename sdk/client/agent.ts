import { Agent as HttpAgent, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';

/**
 * The keep-alive connections an OsbClient sends its requests over: one agent per protocol.
 * A connection is reused by the next request to the same broker, so a platform pays the TCP
 * (and TLS) handshake once per broker instead of once per call.
 *
 * Whoever makes an OsbAgents owns it and closes it when it stops (the controller does).
 * Clients made without one share a default that is never closed: an idle keep-alive socket
 * does not hold the process open (node unrefs it), and it is closed after IDLE_TIMEOUT_MS.
 */
export interface OsbAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

/**
 * How long an idle connection is kept: shorter than the 5 s a node server (express, the SDK's
 * broker) keeps it, so the client closes an idle connection before the server does and a
 * request is not sent on a connection the server is closing at that moment.
 */
export const IDLE_TIMEOUT_MS = 4_000;

/**
 * The idle timeout runs only while a connection waits in the pool. Node's own `timeout`
 * option arms a timer and listeners on every request as well, which cost 66,000 instructions
 * a call, 8 % of a whole OsbClient call (781,000 against 715,000 per last_operation call under
 * callgrind, 900 calls counted against 300, JIT warm-up included). Node's agent destroys a
 * pooled connection whose timer fires.
 *
 * A broker that announces how long it keeps an idle connection (`Keep-Alive: timeout=N`, as
 * Apache and many proxies do) is believed: the connection is dropped a second before the
 * broker would close it, or not pooled at all when that leaves no time. Otherwise a request
 * could go out on a connection the broker is closing, fail with ECONNRESET, and look to the
 * controller like a broker that vanished mid-request (orphan mitigation for a request the
 * broker never saw).
 */
class IdleClosingHttpAgent extends HttpAgent {
  override keepSocketAlive(socket: Socket): boolean {
    return idleFrom(socket, super.keepSocketAlive(socket));
  }

  override reuseSocket(socket: Socket, request: ClientRequest): void {
    busyFrom(socket);
    super.reuseSocket(socket, request);
  }
}

class IdleClosingHttpsAgent extends HttpsAgent {
  override keepSocketAlive(socket: Socket): boolean {
    return idleFrom(socket, super.keepSocketAlive(socket));
  }

  override reuseSocket(socket: Socket, request: ClientRequest): void {
    busyFrom(socket);
    super.reuseSocket(socket, request);
  }
}

/** Per connection: how long the broker's last answer said it keeps the connection idle, less a second. */
const brokerIdleLimitMs = new WeakMap<Socket, number>();

/** Notes the Keep-Alive header of an answer that came on `socket` (undefined: the broker said nothing). */
export function noteKeepAliveHeader(socket: Socket, header: string | string[] | undefined): void {
  const text = Array.isArray(header) ? header.join(',') : header;
  const seconds = text === undefined ? undefined : /(?:^|[,;\s])timeout=(\d+)/i.exec(text)?.[1];
  if (seconds === undefined) brokerIdleLimitMs.delete(socket);
  else brokerIdleLimitMs.set(socket, Number(seconds) * 1000 - 1000);
}

/** A connection going into the pool: `kept` is node's answer whether it may (its types say void). */
function idleFrom(socket: Socket, kept: unknown): boolean {
  if (kept !== true) return false;
  const brokerLimit = brokerIdleLimitMs.get(socket);
  if (brokerLimit !== undefined && brokerLimit <= 0) return false;
  socket.setTimeout(Math.min(IDLE_TIMEOUT_MS, brokerLimit ?? IDLE_TIMEOUT_MS));
  return true;
}

/** A pooled connection taken for a request: no idle timeout while it is busy. */
function busyFrom(socket: Socket): void {
  socket.setTimeout(0);
}

export function createOsbAgents(): OsbAgents {
  const options = { keepAlive: true, scheduling: 'lifo' as const };
  return { http: new IdleClosingHttpAgent(options), https: new IdleClosingHttpsAgent(options) };
}

/** Ends every connection, idle or busy; requests still running fail as transport errors. */
export function closeOsbAgents(agents: OsbAgents): void {
  agents.http.destroy();
  agents.https.destroy();
}

let shared: OsbAgents | undefined;

/** The agents of clients made without their own. */
export function sharedOsbAgents(): OsbAgents {
  shared ??= createOsbAgents();
  return shared;
}
