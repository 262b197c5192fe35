import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { noteKeepAliveHeader, type OsbAgents } from './agent';
import { readLimited } from './read-limited';

/**
 * One HTTP exchange with a broker on node:http over keep-alive agents: the request is sent,
 * the answer's body is read up to a limit, and everything ends within a timeout. It follows
 * no redirect (node:http never does). Failures come back as values, so the client alone
 * decides which typed error each one is.
 */

/** Where a broker listens, from its base URL; parsed once per client. */
export interface BrokerTarget {
  secure: boolean;
  hostname: string;
  port: number | undefined;
  /** The base URL's path without its trailing slashes ('' for none); request paths follow it. */
  pathPrefix: string;
}

/** The target of `url`, or why no request can go there (reported on every call, as fetch did). */
export function parseBrokerTarget(url: string): BrokerTarget | { problem: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { problem: 'the broker URL is not a valid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { problem: `the broker URL's scheme ${parsed.protocol} is not http or https` };
  // Credentials go in the Basic header from the options, never in the URL (where logs would show them).
  if (parsed.username !== '' || parsed.password !== '') return { problem: 'the broker URL must not include credentials' };
  return {
    secure: parsed.protocol === 'https:',
    // IPv6 literals come bracketed from URL; node:http wants them bare.
    hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? undefined : Number(parsed.port),
    pathPrefix: parsed.pathname.replace(/\/+$/, ''),
  };
}

export interface Exchange {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  payload: string | undefined;
  limitBytes: number;
  timeoutMs: number;
}

export type ExchangeResult =
  /** `text` is undefined when the body passed `limitBytes`; the connection was closed there. */
  | { kind: 'answer'; status: number; headers: IncomingHttpHeaders; text: string | undefined }
  | { kind: 'timeout' }
  | { kind: 'transport'; cause: string };

export function exchange(target: BrokerTarget, agents: OsbAgents, call: Exchange): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    let sent: ClientRequest | undefined;
    const finish = (result: ExchangeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const failed = (error: unknown): void => finish(timedOut ? { kind: 'timeout' } : { kind: 'transport', cause: causeOf(error) });
    // Destroying the request closes its connection: neither a late answer nor the rest of a
    // large one is read, and the connection never goes back to the agent.
    const timer = setTimeout(() => {
      timedOut = true;
      sent?.destroy();
      finish({ kind: 'timeout' });
    }, call.timeoutMs);
    try {
      const options = {
        agent: target.secure ? agents.https : agents.http,
        hostname: target.hostname,
        port: target.port,
        method: call.method,
        path: `${target.pathPrefix}${call.path}`,
        headers: call.headers,
      };
      sent = target.secure ? httpsRequest(options) : httpRequest(options);
    } catch (error) {
      // Thrown before anything was sent: a header value node refuses, say.
      failed(error);
      return;
    }
    const request = sent;
    request.on('error', failed);
    request.on('response', (answer) => {
      noteKeepAliveHeader(answer.socket, answer.headers['keep-alive']);
      const status = answer.statusCode ?? 0;
      readLimited(answer, call.limitBytes, () => request.destroy()).then(
        (text) => finish({ kind: 'answer', status, headers: answer.headers, text }),
        failed,
      );
    });
    request.end(call.payload);
  });
}

/** The system's code (ECONNREFUSED, ENOTFOUND, ...) when there is one: short, and names the failure. */
function causeOf(error: unknown): string {
  const failure = error as { code?: unknown; message?: unknown } | undefined;
  if (typeof failure?.code === 'string') return failure.code;
  return typeof failure?.message === 'string' ? failure.message : String(error);
}
