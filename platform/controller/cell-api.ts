/**
 * What the controller needs from a cell: run an app as a long-running process (Diego's
 * DesiredLRP, reduced), stop it, report its instances and hand back recent logs.
 * HttpCellApi speaks the cell's HTTP API; tests use a recording fake.
 */

export interface CellVolumeMount {
  driver: string;
  volumeId: string;
  mountConfig: Record<string, unknown>;
  containerDir: string;
  mode: 'r' | 'rw';
}

export interface CellLrp {
  name: string;
  command: string;
  env: Record<string, string>;
  instances: number;
  appDir?: string;
  volumeMounts: CellVolumeMount[];
}

export interface CellInstanceStatus {
  index: number;
  state: string;
  since?: string;
  crashCount?: number;
}

export interface CellLogLine {
  timestamp: string;
  instance: number;
  source: string;
  line: string;
}

export interface CellApi {
  desire(appGuid: string, lrp: CellLrp): Promise<void>;
  stop(appGuid: string): Promise<void>;
  status(appGuid: string): Promise<CellInstanceStatus[]>;
  logs(appGuid: string, recent: boolean): Promise<CellLogLine[]>;
}

/** The cell could not do what was asked; the controller answers 503 CF-RunnerUnavailable. */
export class CellError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'CellError';
  }
}

export interface HttpCellApiOptions {
  url: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class HttpCellApi implements CellApi {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly doFetch: typeof fetch;

  constructor(options: HttpCellApiOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.doFetch = options.fetch ?? fetch;
  }

  async desire(appGuid: string, lrp: CellLrp): Promise<void> {
    await this.call('PUT', `/v1/apps/${encodeURIComponent(appGuid)}`, lrp);
  }

  /** Stopping an app the cell does not run is not an error: the goal is already met. */
  async stop(appGuid: string): Promise<void> {
    await this.call('DELETE', `/v1/apps/${encodeURIComponent(appGuid)}`, undefined, [404]);
  }

  async status(appGuid: string): Promise<CellInstanceStatus[]> {
    const { status, body } = await this.call('GET', `/v1/apps/${encodeURIComponent(appGuid)}`, undefined, [404]);
    if (status === 404) return [];
    const list = Array.isArray(body) ? body : isObject(body) && Array.isArray(body.instances) ? body.instances : undefined;
    if (!list) throw new CellError('the cell answered an app status without an instances list');
    return list.filter(isObject).map((entry) => {
      const crashCount = entry.crashCount ?? entry.crash_count;
      return {
        index: typeof entry.index === 'number' ? entry.index : Number(entry.index),
        state: String(entry.state ?? 'unknown'),
        ...(typeof entry.since === 'string' ? { since: entry.since } : {}),
        ...(typeof crashCount === 'number' ? { crashCount } : {}),
      };
    });
  }

  async logs(appGuid: string, recent: boolean): Promise<CellLogLine[]> {
    const { status, body } = await this.call('GET', `/v1/apps/${encodeURIComponent(appGuid)}/logs?recent=${recent}`, undefined, [404]);
    if (status === 404) return [];
    const list = Array.isArray(body)
      ? body
      : isObject(body) ? (Array.isArray(body.lines) ? body.lines : Array.isArray(body.logs) ? body.logs : undefined) : undefined;
    if (!list) throw new CellError('the cell answered logs without a list of lines');
    return list.filter(isObject).map((entry) => ({
      timestamp: String(entry.timestamp ?? ''),
      instance: Number(entry.instance ?? entry.instanceIndex ?? 0),
      source: String(entry.source ?? ''),
      line: String(entry.line ?? entry.message ?? ''),
    }));
  }

  async health(): Promise<unknown> {
    return (await this.call('GET', '/v1/health')).body;
  }

  private async call(method: string, path: string, body?: unknown, tolerated: number[] = []): Promise<{ status: number; body: unknown }> {
    let response: Response;
    try {
      response = await this.doFetch(`${this.base}${path}`, {
        method,
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const err = error as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError') throw new CellError(`the cell did not answer ${method} ${path} within ${this.timeoutMs} ms`);
      throw new CellError(`the cell cannot be reached: ${err.cause?.code ?? err.message}`);
    }
    const raw = await response.text();
    let parsed: unknown;
    try {
      parsed = raw.trim() === '' ? undefined : JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (response.ok || tolerated.includes(response.status)) return { status: response.status, body: parsed };
    const reason = isObject(parsed) && typeof parsed.error === 'string' ? parsed.error
      : isObject(parsed) && typeof parsed.message === 'string' ? parsed.message : raw.slice(0, 300);
    throw new CellError(`the cell answered ${response.status} to ${method} ${path}${reason ? `: ${reason}` : ''}`, response.status);
  }
}
