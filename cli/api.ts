/**
 * The CLI's client for the controller's Cloud-Controller-like API. It turns CC v3 error
 * bodies into messages that say what to do, and waits for jobs with progress on stderr.
 */
export class ApiError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Resource {
  guid: string;
  name?: string;
  [key: string]: unknown;
}

export interface ListResult<T> {
  resources: T[];
}

export interface JobResult {
  guid: string;
  state: 'PROCESSING' | 'COMPLETE' | 'FAILED' | string;
  operation?: string;
  errors?: Array<{ detail?: string; title?: string }>;
}

export class ControllerApi {
  constructor(
    readonly baseUrl: string,
    private readonly user = process.env.OSBKIT_USER ?? 'admin',
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; location?: string }> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-osbkit-user': this.user },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(120_000),
      });
    } catch {
      throw new ApiError(`Cannot reach the osbkit API at ${this.baseUrl}. Start it with "osbkit up" (or set OSBKIT_API).`);
    }
    const text = await response.text();
    let parsed: unknown = {};
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { errors: [{ detail: text.slice(0, 300) }] };
      }
    }
    if (response.status >= 400) throw new ApiError(errorText(parsed, response.status), response.status);
    const location = response.headers.get('location') ?? undefined;
    return { status: response.status, body: parsed as T, ...(location ? { location } : {}) };
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path).then((r) => r.body);
  }

  async list<T extends Resource>(path: string): Promise<T[]> {
    return (await this.get<ListResult<T>>(path)).resources ?? [];
  }

  async findByName(collection: string, name: string, what: string, hint: string): Promise<Resource> {
    const found = await this.list(`/v3/${collection}?names=${encodeURIComponent(name)}`);
    const match = found.find((r) => r.name === name);
    if (!match) throw new ApiError(`${what} "${name}" not found. ${hint}`);
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
        throw new ApiError(detail);
      }
      if (Date.now() > deadline) throw new ApiError(`Still in progress after ${Math.round(timeoutMs / 1000)} s; check again later.`);
      progress('.');
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

function errorText(body: unknown, status: number): string {
  const errors = (body as { errors?: Array<{ detail?: string; title?: string }> }).errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.map((e) => e.detail ?? e.title ?? `request failed with ${status}`).join('\n');
  }
  return `The API answered ${status}.`;
}
