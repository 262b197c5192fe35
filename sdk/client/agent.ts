import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

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
 * request is not sent on a connection the server is closing at that moment. A server that
 * says less in its Keep-Alive header is believed (node's agent reads the hint).
 */
export const IDLE_TIMEOUT_MS = 4_000;

export function createOsbAgents(): OsbAgents {
  const options = { keepAlive: true, timeout: IDLE_TIMEOUT_MS, scheduling: 'lifo' as const };
  return { http: new HttpAgent(options), https: new HttpsAgent(options) };
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
