import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * One HTTP exchange with the broker under test, byte for byte as the caller asks: the path is
 * sent as given (no normalising of `..` or encoded characters), the body is sent raw, and no
 * header is added that the caller did not name. The answer is read up to a limit and within a
 * timeout, because the broker under test may be anything.
 */

export interface RawRequest {
  method: string;
  /** The path and query exactly as they go on the request line. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
  /** True when the body is non-empty and not JSON. */
  notJson: boolean;
  /** True when the answer was longer than the limit and reading stopped. */
  truncated: boolean;
}

export class BrokerUnreachableError extends Error {
  constructor(
    readonly what: string,
    readonly causeMessage: string,
  ) {
    super(`${what}: ${causeMessage}`);
    this.name = 'BrokerUnreachableError';
  }
}

export interface ExchangeOptions {
  timeoutMs: number;
  answerLimitBytes: number;
}

export function exchange(baseUrl: URL, req: RawRequest, options: ExchangeOptions): Promise<RawAnswer> {
  const send = baseUrl.protocol === 'https:' ? httpsRequest : httpRequest;
  const prefix = baseUrl.pathname.replace(/\/$/, '');
  const what = `${req.method} ${req.path}`;
  return new Promise<RawAnswer>((resolve, reject) => {
    let done = false;
    let answered = false;
    const settle = (finish: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      finish();
    };
    const fail = (message: string): void => settle(() => {
      outgoing.destroy();
      reject(new BrokerUnreachableError(what, message));
    });
    const timer = setTimeout(() => fail(`no answer within ${options.timeoutMs} ms`), options.timeoutMs);
    const outgoing = send(
      {
        protocol: baseUrl.protocol,
        hostname: baseUrl.hostname.replace(/^\[|\]$/g, ''),
        port: baseUrl.port || undefined,
        method: req.method,
        path: `${prefix}${req.path}`,
        headers: req.body === undefined ? req.headers : { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        // A broker that answers a large upload early may close the connection: never reuse one.
        agent: false,
      },
      (incoming) => {
        answered = true;
        const chunks: Buffer[] = [];
        let length = 0;
        let truncated = false;
        const complete = (): void => settle(() => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          let notJson = false;
          if (text.trim() !== '' && !truncated) {
            try {
              json = JSON.parse(text);
            } catch {
              notJson = true;
            }
          }
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, text, json, notJson: notJson || truncated, truncated });
        });
        incoming.on('data', (chunk: Buffer) => {
          if (truncated) return;
          if (length + chunk.length > options.answerLimitBytes) {
            truncated = true;
            chunks.push(chunk.subarray(0, options.answerLimitBytes - length));
            complete();
            incoming.destroy();
            return;
          }
          length += chunk.length;
          chunks.push(chunk);
        });
        incoming.on('end', complete);
        incoming.on('error', (error: Error) => fail(`the answer broke off: ${error.message}`));
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      // A broker may answer (413, say) and close before it has read a large body: the answer counts.
      const message = error.code ? `${error.code} ${error.message}` : error.message;
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') {
        if (!answered) setTimeout(() => fail(message), 500);
        return;
      }
      fail(message);
    });
    if (req.body !== undefined) outgoing.end(req.body);
    else outgoing.end();
  });
}
