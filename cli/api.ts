import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';

/**
 * The CLI's client for the controller's Cloud-Controller-like API. It sends the login's
 * bearer token, turns CC v3 error bodies into messages that say what to do, and waits for
 * jobs with progress on stderr.
 */

export const NOT_LOGGED_IN = "Not logged in. Use 'osbkit login' to log in.";
const LOG_IN_AGAIN = "Use 'osbkit login' to log in again.";
export class ApiError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A job the API ran ended FAILED; the message is the job's errors. */
export class JobFailedError extends ApiError {
  constructor(message: string) {
    super(message);
    this.name = 'JobFailedError';
  }
}

export interface Resource {
  guid: string;
  name?: string;
  [key: string]: unknown;
}

export interface ListResult<T> {
  resources: T[];
  pagination?: { next?: { href?: string } | null };
}

export interface JobResult {
  guid: string;
  state: 'PROCESSING' | 'COMPLETE' | 'FAILED' | string;
  operation?: string;
  errors?: Array<{ detail?: string; title?: string }>;
}

export interface Grant {
  accessToken: string;
  expiresInSeconds: number;
}

/** An upload of app bits may take a while on a slow link. */
const UPLOAD_TIMEOUT_MS = 30 * 60_000;

async function send(baseUrl: string, path: string, init: RequestInit, timeoutMs = 120_000): Promise<Response> {
  try {
    return await fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    throw new ApiError(`Cannot reach the osbkit API at ${baseUrl}. Start it with "osbkit up", or point the CLI at another one with "osbkit api URL" (or $OSBKIT_API).`);
  }
}

async function bodyOf(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return { errors: [{ detail: text.slice(0, 300) }] };
  }
}

export class ControllerApi {
  /** Without a token every request fails with NOT_LOGGED_IN before anything is sent. */
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  /** UAA's password grant (POST /oauth/token). */
  static async passwordGrant(baseUrl: string, username: string, password: string): Promise<Grant> {
    const response = await send(baseUrl, '/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
    });
    const body = (await bodyOf(response)) as { access_token?: unknown; expires_in?: unknown; error_description?: unknown };
    if (response.status === 401) throw new ApiError('Credentials were rejected, please try again.', 401);
    if (response.status !== 200 || typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
      const detail = typeof body.error_description === 'string' ? body.error_description : errorText(body, response.status);
      throw new ApiError(`The API at ${baseUrl} refused the login: ${detail}`, response.status);
    }
    return { accessToken: body.access_token, expiresInSeconds: body.expires_in };
  }

  /**
   * The API's version from its root document (GET /, which needs no token), as `cf api`
   * reads it; refused when the answer is not a Cloud Controller v3 root.
   */
  static async version(baseUrl: string): Promise<string> {
    const response = await send(baseUrl, '/', { method: 'GET', headers: { accept: 'application/json' } });
    const body = (await bodyOf(response)) as { links?: { cloud_controller_v3?: { meta?: { version?: unknown } } } };
    const version = body.links?.cloud_controller_v3?.meta?.version;
    if (response.status !== 200 || typeof version !== 'string') {
      throw new ApiError(`${baseUrl} is not an osbkit API: GET / answered ${response.status} without a cloud_controller_v3 link.`, response.status);
    }
    return version;
  }

  /** Ends a token on the server (RFC 7009); the server answers the same whether it was live or not. */
  static async revoke(baseUrl: string, token: string): Promise<void> {
    await send(baseUrl, '/oauth/revoke', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; location?: string }> {
    if (this.token === undefined) throw new ApiError(NOT_LOGGED_IN);
    const response = await send(this.baseUrl, path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return this.answer<T>(response);
  }

  /** POSTs a file as the request body itself, streamed, as a package upload is sent. */
  async upload<T>(path: string, file: string, contentType: string): Promise<{ status: number; body: T; location?: string }> {
    if (this.token === undefined) throw new ApiError(NOT_LOGGED_IN);
    const response = await send(this.baseUrl, path, {
      method: 'POST',
      headers: { 'content-type': contentType, 'content-length': String(statSync(file).size), authorization: `Bearer ${this.token}` },
      body: Readable.toWeb(createReadStream(file)),
      duplex: 'half',
    }, UPLOAD_TIMEOUT_MS);
    return this.answer<T>(response);
  }

  private async answer<T>(response: Response): Promise<{ status: number; body: T; location?: string }> {
    const parsed = await bodyOf(response);
    if (response.status === 401) throw new ApiError(`${errorText(parsed, response.status)}\n${LOG_IN_AGAIN}`, 401);
    if (response.status >= 400) throw new ApiError(errorText(parsed, response.status), response.status);
    const location = response.headers.get('location') ?? undefined;
    return { status: response.status, body: parsed as T, ...(location ? { location } : {}) };
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path).then((r) => r.body);
  }

  /**
   * Every resource of a list, page after page: CC v3 lists are paged (50 by default), and
   * `pagination.next.href` names the next page until the last. Only its path and query are
   * used, so the pages come from the API this client talks to, whatever host the links name.
   */
  async list<T extends Resource>(path: string): Promise<T[]> {
    const resources: T[] = [];
    const fetched = new Set<string>();
    for (let page: string | undefined = path; page !== undefined;) {
      if (fetched.has(page)) throw new ApiError(`The API at ${this.baseUrl} sent the page ${page} twice while listing ${path}.`);
      fetched.add(page);
      const body: ListResult<T> = await this.get<ListResult<T>>(page);
      resources.push(...(body.resources ?? []));
      const next = body.pagination?.next?.href;
      page = typeof next === 'string' && next !== '' ? pathOf(next) : undefined;
    }
    return resources;
  }

  /**
   * `spaceGuid` limits the search to one space, as cf looks apps and services up in the
   * targeted one. Not found reads as cf says it ("App 'x' not found."), then `hint`.
   */
  async findByName(collection: string, name: string, what: string, hint: string, spaceGuid?: string): Promise<Resource> {
    const inSpace = spaceGuid === undefined ? '' : `&space_guids=${encodeURIComponent(spaceGuid)}`;
    const found = await this.list(`/v3/${collection}?names=${encodeURIComponent(name)}${inSpace}`);
    const match = found.find((r) => r.name === name);
    if (!match) throw new ApiError(`${what} '${name}' not found. ${hint}`);
    return match;
  }

  /** Follows the job a 202 points at until it ends; progress dots go to stderr. */
  async waitForJob(location: string | undefined, progress: (text: string) => void, timeoutMs = 15 * 60_000, intervalMs = 500): Promise<JobResult> {
    if (!location) throw new ApiError('The API accepted the request but returned no job to follow.');
    const path = location.startsWith('http') ? new URL(location).pathname : location;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.get<JobResult>(path);
      if (job.state === 'COMPLETE') return job;
      if (job.state === 'FAILED') {
        const detail = job.errors?.map((e) => e.detail ?? e.title).filter(Boolean).join('\n') || 'the job failed';
        throw new JobFailedError(detail);
      }
      if (Date.now() > deadline) throw new ApiError(`Still in progress after ${Math.round(timeoutMs / 1000)} s; the platform carries on with it (job ${job.guid}). Check its state again later.`);
      progress('.');
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** The path and query of a link the API sent, absolute or not. */
function pathOf(href: string): string {
  const url = new URL(href, 'http://api.invalid');
  return `${url.pathname}${url.search}`;
}

function errorText(body: unknown, status: number): string {
  const errors = (body as { errors?: Array<{ detail?: string; title?: string }> }).errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.map((e) => e.detail ?? e.title ?? `request failed with ${status}`).join('\n');
  }
  return `The API answered ${status}.`;
}
