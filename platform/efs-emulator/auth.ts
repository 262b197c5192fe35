import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { incompleteSignature, invalidSignature, missingAuthenticationToken, unrecognizedClient } from './errors';

/**
 * AWS Signature Version 4, as EFS checks it. Every request must carry
 * `Authorization: AWS4-HMAC-SHA256 Credential=AKID/YYYYMMDD/REGION/elasticfilesystem/aws4_request,
 * SignedHeaders=...;host;..., Signature=<64 hex>` and an X-Amz-Date (or Date) header.
 *
 * Without configured credentials, any well-formed signature for this region and service is
 * accepted (the emulator has no IAM). With credentials, the access key must be one of them and
 * the signature is recomputed from the request exactly as the AWS SDK computes it.
 */

export const SIGNING_SERVICE = 'elasticfilesystem';
const ALGORITHM = 'AWS4-HMAC-SHA256';

export interface EmulatorCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedRequest {
  method: string;
  /** The request target as received: raw path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string): ParsedAuthorization {
  if (!header.startsWith(`${ALGORITHM} `)) {
    throw incompleteSignature(`Authorization header requires the ${ALGORITHM} algorithm with 'Credential', 'SignedHeaders' and 'Signature' parameters.`);
  }
  const parameters = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const [name, ...value] = part.trim().split('=');
    if (name) parameters.set(name, value.join('='));
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !parameters.get(name));
  if (missing.length > 0) throw incompleteSignature(missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '));
  const scope = (parameters.get('Credential') ?? '').split('/');
  const [accessKeyId, date, region, service, terminator] = scope;
  if (scope.length !== 5 || !accessKeyId || !date || !/^\d{8}$/.test(date) || !region || !service || terminator !== 'aws4_request') {
    throw incompleteSignature("Credential must have the form 'ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request'.");
  }
  const signature = parameters.get('Signature') ?? '';
  if (!/^[0-9a-f]{64}$/.test(signature)) throw incompleteSignature('Signature must be 64 lower-case hex digits.');
  const signedHeaders = (parameters.get('SignedHeaders') ?? '').split(';');
  if (!signedHeaders.includes('host')) throw incompleteSignature("SignedHeaders must include 'host'.");
  return { accessKeyId, date, region, service, signedHeaders, signature };
}

const headerValue = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/** encodeURIComponent plus the characters SigV4 also escapes. */
const escapeUri = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `/${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(rawQuery: string): string {
  const byKey = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    const encodedKey = escapeUri(key);
    byKey.set(encodedKey, [...(byKey.get(encodedKey) ?? []), `${encodedKey}=${escapeUri(value)}`]);
  }
  return [...byKey.keys()]
    .sort()
    .map((key) => (byKey.get(key) ?? []).sort().join('&'))
    .join('&');
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

function expectedSignature(request: SignedRequest, auth: ParsedAuthorization, secretAccessKey: string, amzDate: string): string {
  const [rawPath = '/', rawQuery = ''] = splitTarget(request.url);
  const headers = auth.signedHeaders.map((name) => `${name}:${(headerValue(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}`);
  const canonicalRequest = [request.method, canonicalPath(rawPath), canonicalQuery(rawQuery), ...headers, '', auth.signedHeaders.join(';'), sha256Hex(request.body)].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, auth.date), auth.region), auth.service), 'aws4_request');
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

function splitTarget(url: string): [string, string] {
  const at = url.indexOf('?');
  return at === -1 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
}

/** Throws the error AWS answers when the request's signature is missing, malformed or (with credentials) wrong. */
export function checkSignature(request: SignedRequest, region: string, credentials: readonly EmulatorCredentials[] | undefined): void {
  const header = headerValue(request.headers, 'authorization');
  if (header === undefined || header === '') throw missingAuthenticationToken();
  const auth = parseAuthorization(header);
  const amzDate = headerValue(request.headers, 'x-amz-date') ?? headerValue(request.headers, 'date');
  if (amzDate === undefined) throw incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (auth.service !== SIGNING_SERVICE) throw invalidSignature(`Credential should be scoped to correct service: '${SIGNING_SERVICE}'.`);
  if (auth.region !== region) throw invalidSignature(`Credential should be scoped to a valid region, not '${auth.region}'.`);
  if (credentials === undefined) return;
  const known = credentials.find((candidate) => candidate.accessKeyId === auth.accessKeyId);
  if (!known) throw unrecognizedClient();
  const expected = Buffer.from(expectedSignature(request, auth, known.secretAccessKey, amzDate), 'utf8');
  const given = Buffer.from(auth.signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw invalidSignature(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
}
