import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors';

/** Low-level request and response helpers for node:http; nothing OSB-specific here. */

export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const preParsed = (req as IncomingMessage & { body?: unknown }).body;
  // Inside an express app that ran express.json() first, the stream is already consumed.
  if (preParsed !== undefined && req.readableEnded) return preParsed;

  const contentType = req.headers['content-type'];
  if (contentType !== undefined && !/^application\/([\w.+-]*\+)?json\b/i.test(contentType)) {
    drain(req);
    throw errors.badRequest(`Content-Type must be application/json, not ${JSON.stringify(contentType)}.`);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    drain(req);
    throw errors.payloadTooLarge(limitBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  await new Promise<void>((resolve, reject) => {
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', resolve);
    req.on('error', reject);
  });
  if (tooLarge) throw errors.payloadTooLarge(limitBytes);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw errors.badRequest('The request body must be a JSON object, but it is empty.');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw errors.badRequest(`The request body is not valid JSON: ${(error as Error).message}.`);
  }
}

/** Reads and discards the rest of a body we refuse, so the client still receives our answer. */
function drain(req: IncomingMessage): void {
  req.resume();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(payload);
}

/** Shared by every request without a query string; handlers only read their query. */
const NO_QUERY = new URLSearchParams();

export function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const mark = url.indexOf('?');
  if (mark < 0) return { path: url, query: NO_QUERY };
  return { path: url.slice(0, mark), query: new URLSearchParams(url.slice(mark + 1)) };
}
