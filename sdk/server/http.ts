import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors';
import { exceedsJsonDepth } from '../json';

/** Low-level request and response helpers for node:http; nothing OSB-specific here. */

/**
 * Reads a JSON body of at most `limitBytes` nested at most `depthLimit` levels deep. The depth
 * is checked on the parsed value without recursion, before anything else (the store's
 * JSON.stringify, the repeat check's canonical form) walks it recursively.
 */
export function readJsonBody(req: IncomingMessage, limitBytes: number, depthLimit: number): Promise<unknown> {
  const preParsed = (req as IncomingMessage & { body?: unknown }).body;
  // Inside an express app that ran express.json() first, the stream is already consumed.
  if (preParsed !== undefined && req.readableEnded) {
    return exceedsJsonDepth(preParsed, depthLimit) ? Promise.reject(tooDeep(depthLimit)) : Promise.resolve(preParsed);
  }

  const contentType = req.headers['content-type'];
  if (contentType !== undefined && !/^application\/([\w.+-]*\+)?json\b/i.test(contentType)) {
    drain(req);
    return Promise.reject(errors.badRequest(`Content-Type must be application/json, not ${JSON.stringify(contentType)}.`));
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    drain(req);
    return Promise.reject(errors.payloadTooLarge(limitBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limitBytes) reject(errors.payloadTooLarge(limitBytes));
      else {
        // A small body arrives in one chunk, which needs no copy.
        const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8');
        try {
          const body = parseJson(text);
          if (exceedsJsonDepth(body, depthLimit)) reject(tooDeep(depthLimit));
          else resolve(body);
        } catch (error) {
          reject(error);
        }
      }
    });
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (text.trim() === '') throw errors.badRequest('The request body must be a JSON object, but it is empty.');
    throw errors.badRequest(`The request body is not valid JSON: ${(error as Error).message}.`);
  }
}

function tooDeep(depthLimit: number) {
  return errors.badRequest(`The request body nests objects and arrays more than ${depthLimit} levels deep, which is the limit.`);
}

/** Reads and discards the rest of a body we refuse, so the client still receives our answer. */
function drain(req: IncomingMessage): void {
  req.resume();
}

const JSON_ONLY: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' });

/** `headers`: any besides the content type, which a caller with none leaves out. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, headers ? { 'content-type': 'application/json', ...headers } : JSON_ONLY);
  res.end(payload);
}

/** Shared by every request without a query string; handlers only read their query. */
const NO_QUERY = new URLSearchParams();

export function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const mark = url.indexOf('?');
  if (mark < 0) return { path: url, query: NO_QUERY };
  return { path: url.slice(0, mark), query: new URLSearchParams(url.slice(mark + 1)) };
}
