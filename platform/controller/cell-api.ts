import { CellApiError, CellClient } from '../cell/client';
import type { CellHealth } from '../cell/types';

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

/** A destination the app may reach; the cell refuses everything else (see binding-egress.ts). */
export interface CellEgressRule {
  destination: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

export interface CellLrp {
  name: string;
  command: string;
  env: Record<string, string>;
  instances: number;
  appDir?: string;
  volumeMounts: CellVolumeMount[];
  /** What the app may reach; none when absent. */
  egress?: CellEgressRule[];
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
  /** The cell's API secret (platform/cell/api-secret.ts): the cell refuses requests without it. */
  apiSecret: string;
  /** Per request; a stop waits for the app's grace period, so keep it generous. */
  timeoutMs?: number;
}

/** The cell's HTTP API through the cell's own client; every failure becomes a CellError. */
export class HttpCellApi implements CellApi {
  private readonly client: CellClient;

  constructor(options: HttpCellApiOptions) {
    this.client = new CellClient(options.url, { apiSecret: options.apiSecret, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
  }

  async desire(appGuid: string, lrp: CellLrp): Promise<void> {
    await this.call(() => this.client.desire(appGuid, lrp));
  }

  /** Stopping an app the cell does not run is not an error: the goal is already met. */
  async stop(appGuid: string): Promise<void> {
    await this.call(() => this.client.stop(appGuid));
  }

  async status(appGuid: string): Promise<CellInstanceStatus[]> {
    const status = await this.call(() => this.client.status(appGuid));
    return (status?.instances ?? []).map((instance) => ({
      index: instance.index,
      state: instance.state,
      since: instance.since,
      crashCount: instance.crashCount,
    }));
  }

  /** Only the lines the cell keeps in memory: following a stream is not part of CellApi. */
  async logs(appGuid: string, _recent: boolean): Promise<CellLogLine[]> {
    const lines = await this.call(() => this.client.recentLogs(appGuid));
    return lines.map((line) => ({ timestamp: line.timestamp, instance: line.instanceIndex, source: line.source, line: line.message }));
  }

  async health(): Promise<CellHealth> {
    return this.call(() => this.client.health());
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toCellError(error);
    }
  }
}

function toCellError(error: unknown): CellError {
  if (error instanceof CellApiError) return new CellError(`the cell answered ${error.status} ${error.code}: ${error.message.replace(/^cell API \d+ \w+: /, '')}`, error.status);
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return new CellError('the cell did not answer in time');
  if (err.name === 'UnexpectedResponseError') return new CellError(err.message);
  return new CellError(`the cell cannot be reached: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
}
