import { apiSecretHeader } from './api-secret';
import { LineSplitter } from './line-splitter';
import type { AppStatus, CellHealth, DesiredLrp, LogLine } from './types';
import { parseAppStatus, parseErrorBody, parseHealth, parseLogLine, parseLogLines, UnexpectedResponseError } from './wire';

const MAX_STREAMED_LINE_LENGTH = 1024 * 1024;

/** A non-2xx answer of the cell API. */
export class CellApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
    readonly field?: string,
  ) {
    super(`cell API ${status} ${code}: ${description}`);
    this.name = 'CellApiError';
  }
}

export interface CellClientOptions {
  /** The cell's API secret, sent with every request. */
  apiSecret: string;
  /** Per request; stopping an app waits for its grace period, so the default is generous (60 s). */
  timeoutMs?: number;
}

export interface FollowLogsOptions {
  /** Ends the stream. */
  signal: AbortSignal;
  /** Send the lines kept in memory first (default true). */
  recent?: boolean;
}

/** Typed access to a cell's HTTP API, for the controller. */
export class CellClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly authorization: string;

  constructor(baseUrl: string, options: CellClientOptions) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.authorization = apiSecretHeader(options.apiSecret);
  }

  async health(): Promise<CellHealth> {
    return parseHealth(await this.json('GET', '/v1/health'));
  }

  /** Sets the desired state of an app; answers with its status right after scheduling. */
  async desire(appGuid: string, lrp: DesiredLrp): Promise<AppStatus> {
    return parseAppStatus(await this.json('PUT', this.appPath(appGuid), lrp));
  }

  /** Stops an app and waits until its instances are gone; false when the cell does not know it. */
  async stop(appGuid: string): Promise<boolean> {
    const response = await this.send('DELETE', this.appPath(appGuid));
    if (response.status === 404) return false;
    await this.requireOk(response);
    return true;
  }

  /** undefined when the cell does not know the app. */
  async status(appGuid: string): Promise<AppStatus | undefined> {
    const response = await this.send('GET', this.appPath(appGuid));
    if (response.status === 404) return undefined;
    await this.requireOk(response);
    return parseAppStatus(await response.json());
  }

  async recentLogs(appGuid: string): Promise<LogLine[]> {
    return parseLogLines(await this.json('GET', `${this.appPath(appGuid)}/logs?recent=true`));
  }

  /** Calls `onLine` for each line until `options.signal` aborts; resolves then, or when the cell ends the stream. */
  async followLogs(appGuid: string, onLine: (line: LogLine) => void, options: FollowLogsOptions): Promise<void> {
    const recent = options.recent ?? true;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${this.appPath(appGuid)}/logs?follow=true&recent=${recent}`, { signal: options.signal, headers: { authorization: this.authorization } });
    } catch (error) {
      if (options.signal.aborted) return;
      throw error;
    }
    await this.requireOk(response);
    if (response.body === null) return;
    // Far above the cell's own line limit, so one JSON line is never cut in two.
    const splitter = new LineSplitter((text) => {
      if (text.length > 0) onLine(parseLogLine(JSON.parse(text)));
    }, MAX_STREAMED_LINE_LENGTH);
    try {
      for await (const chunk of response.body) splitter.push(Buffer.from(chunk));
      splitter.flush();
    } catch (error) {
      if (options.signal.aborted) return;
      throw error;
    }
  }

  private appPath(appGuid: string): string {
    return `/v1/apps/${encodeURIComponent(appGuid)}`;
  }

  private send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: this.authorization };
    const init: RequestInit = { method, signal: AbortSignal.timeout(this.timeoutMs), headers };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    return fetch(`${this.baseUrl}${path}`, init);
  }

  private async json(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await this.send(method, path, body);
    await this.requireOk(response);
    return response.json();
  }

  private async requireOk(response: Response): Promise<void> {
    if (response.ok) return;
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new CellApiError(response.status, 'Unknown', `HTTP ${response.status} without a JSON body`);
    }
    const error = parseErrorBody(body);
    if (error === undefined) throw new UnexpectedResponseError(`HTTP ${response.status} with an unrecognised error body`);
    throw new CellApiError(response.status, error.error, error.description, error.field);
  }
}
