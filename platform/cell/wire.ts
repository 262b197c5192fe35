import type { AppStatus, CellErrorBody, CellHealth, InstanceStatus, LogLine } from './types';

/**
 * Checks of what the cell API answers, for the client: a response is external input too, and a
 * mismatch should fail here with a clear message rather than deep inside the controller.
 */
export class UnexpectedResponseError extends Error {
  constructor(what: string) {
    super(`unexpected cell API response: ${what}`);
    this.name = 'UnexpectedResponseError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseInstanceStatus(value: unknown): InstanceStatus {
  if (!isRecord(value)) throw new UnexpectedResponseError('instance is not an object');
  const { index, state, pid, crashCount, since, reason } = value;
  if (typeof index !== 'number' || typeof crashCount !== 'number' || typeof since !== 'string') {
    throw new UnexpectedResponseError('instance lacks index, crashCount or since');
  }
  if (state !== 'starting' && state !== 'running' && state !== 'crashed' && state !== 'stopped') {
    throw new UnexpectedResponseError(`unknown instance state ${String(state)}`);
  }
  if (pid !== null && typeof pid !== 'number') throw new UnexpectedResponseError('instance pid is not a number');
  const status: InstanceStatus = { index, state, pid, crashCount, since };
  if (typeof reason === 'string') status.reason = reason;
  return status;
}

export function parseAppStatus(value: unknown): AppStatus {
  if (!isRecord(value)) throw new UnexpectedResponseError('app status is not an object');
  const { appGuid, name, instances } = value;
  if (typeof appGuid !== 'string' || typeof name !== 'string' || !Array.isArray(instances)) {
    throw new UnexpectedResponseError('app status lacks appGuid, name or instances');
  }
  return { appGuid, name, instances: instances.map(parseInstanceStatus) };
}

export function parseLogLine(value: unknown): LogLine {
  if (!isRecord(value)) throw new UnexpectedResponseError('log line is not an object');
  const { timestamp, appGuid, instanceIndex, source, message } = value;
  if (typeof timestamp !== 'string' || typeof appGuid !== 'string' || typeof instanceIndex !== 'number' || typeof message !== 'string') {
    throw new UnexpectedResponseError('log line lacks timestamp, appGuid, instanceIndex or message');
  }
  if (source !== 'OUT' && source !== 'ERR' && source !== 'CELL') throw new UnexpectedResponseError(`unknown log source ${String(source)}`);
  return { timestamp, appGuid, instanceIndex, source, message };
}

export function parseLogLines(value: unknown): LogLine[] {
  if (!Array.isArray(value)) throw new UnexpectedResponseError('logs are not an array');
  return value.map(parseLogLine);
}

export function parseHealth(value: unknown): CellHealth {
  if (!isRecord(value) || value.status !== 'ok') throw new UnexpectedResponseError('health is not ok');
  const { isolation, apps } = value;
  if ((isolation !== 'namespaces' && isolation !== 'none') || typeof apps !== 'number') {
    throw new UnexpectedResponseError('health lacks isolation or apps');
  }
  return { status: 'ok', isolation, apps };
}

export function parseErrorBody(value: unknown): CellErrorBody | undefined {
  if (!isRecord(value) || typeof value.error !== 'string' || typeof value.description !== 'string') return undefined;
  const body: CellErrorBody = { error: value.error, description: value.description };
  if (typeof value.field === 'string') body.field = value.field;
  return body;
}
