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
 * option would do the same, but it also arms a timer and listeners on every request, which
 * cost 66,000 instructions a call, 8 % of a whole OsbClient call (781,000 against 715,000
 * per last_operation call under callgrind, 900 calls counted against 300, JIT warm-up
 * included). Node's agent destroys a pooled connection whose timer fires.
 */
class IdleClosingHttpAgent extends HttpAgent {
  override keepSocketAlive(socket: Socket): boolean {
    // Node's agent answers whether the connection may be pooled (its types say void).
    const kept: unknown = super.keepSocketAlive(socket);
    return idleFrom(socket, kept === true);
  }

  override reuseSocket(socket: Socket, request: ClientRequest): void {
    socket.setTimeout(0);
    super.reuseSocket(socket, request);
  }
}

class IdleClosingHttpsAgent extends HttpsAgent {
  override keepSocketAlive(socket: Socket): boolean {
    // Node's agent answers whether the connection may be pooled (its types say void).
    const kept: unknown = super.keepSocketAlive(socket);
    return idleFrom(socket, kept === true);
  }

  override reuseSocket(socket: Socket, request: ClientRequest): void {
    socket.setTimeout(0);
    super.reuseSocket(socket, request);
  }
}

function idleFrom(socket: Socket, kept: boolean): boolean {
  if (kept) socket.setTimeout(IDLE_TIMEOUT_MS);
  return kept;
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
