import { isPlainObject } from '../json';

/**
 * What the spec says answer bodies look like, as lists of problems (empty when the body is
 * right). Each function names the field at fault so a report can say what to fix.
 */

const OPERATION_LIMIT = 10_000;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export type ErrorEndpoint = 'update' | 'deprovision' | 'other';

/** An error body: `error` one CamelCase word, `description` non-empty, the two flags only where the spec allows them. */
export function errorBodyProblems(body: unknown, endpoint: ErrorEndpoint): string[] {
  if (!isPlainObject(body)) return [];
  const problems: string[] = [];
  if ('error' in body && (typeof body.error !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(body.error))) {
    problems.push(`"error" must be one CamelCase word, not ${JSON.stringify(body.error)}`);
  }
  if ('description' in body && (typeof body.description !== 'string' || body.description.trim() === '')) {
    problems.push(`"description" must be a non-empty string, not ${JSON.stringify(body.description)}`);
  }
  if ('instance_usable' in body && endpoint === 'other') problems.push('"instance_usable" is allowed only on errors of updates and deprovisions');
  if ('update_repeatable' in body && endpoint !== 'update') problems.push('"update_repeatable" is allowed only on errors of updates');
  for (const field of ['instance_usable', 'update_repeatable']) {
    if (field in body && typeof body[field] !== 'boolean') problems.push(`"${field}" must be a boolean`);
  }
  return problems;
}

/** The 2xx body of a provision or update: dashboard_url, operation, metadata. */
export function instanceAnswerProblems(body: unknown): string[] {
  if (!isPlainObject(body)) return [`the body must be a JSON object, not ${describe(body)}`];
  const problems: string[] = [];
  if ('dashboard_url' in body && body.dashboard_url !== null && typeof body.dashboard_url !== 'string') problems.push('"dashboard_url" must be a string or null');
  problems.push(...operationProblems(body));
  if ('metadata' in body && body.metadata !== null) {
    if (!isPlainObject(body.metadata)) problems.push('"metadata" must be an object');
    else for (const part of ['labels', 'attributes']) if (part in body.metadata && !isPlainObject(body.metadata[part])) problems.push(`"metadata.${part}" must be an object`);
  }
  return problems;
}

function operationProblems(body: Record<string, unknown>): string[] {
  if (!('operation' in body) || body.operation === null) return [];
  if (typeof body.operation !== 'string' || body.operation === '') return ['"operation" must be a non-empty string'];
  if (body.operation.length > OPERATION_LIMIT) return [`"operation" has ${body.operation.length} characters; at most ${OPERATION_LIMIT} are allowed`];
  return [];
}

/** The 202 body of a delete or a bind: at most an operation, and never credentials. */
export function acceptedProblems(body: unknown): string[] {
  if (!isPlainObject(body)) return [`the body must be a JSON object, not ${describe(body)}`];
  const problems = operationProblems(body);
  for (const field of ['credentials', 'volume_mounts', 'syslog_drain_url', 'route_service_url', 'endpoints']) {
    if (field in body) problems.push(`a 202 must not carry binding information, but it has "${field}"`);
  }
  return problems;
}

/** A bind answer (201, 200) or a fetched binding: every field the spec defines, and the `requires` each needs. */
export function bindingProblems(body: unknown, requires: string[]): string[] {
  if (!isPlainObject(body)) return [`the body must be a JSON object, not ${describe(body)}`];
  const problems: string[] = [];
  if ('credentials' in body && !isPlainObject(body.credentials)) problems.push('"credentials" must be an object');
  const needs: Array<[string, string]> = [['syslog_drain_url', 'syslog_drain'], ['route_service_url', 'route_forwarding'], ['volume_mounts', 'volume_mount']];
  for (const [field, requirement] of needs) {
    if (field in body && !requires.includes(requirement)) problems.push(`"${field}" needs the offering to declare requires: [${requirement}]`);
  }
  for (const field of ['syslog_drain_url', 'route_service_url']) if (field in body && typeof body[field] !== 'string') problems.push(`"${field}" must be a string`);
  if ('volume_mounts' in body) problems.push(...volumeMountProblems(body.volume_mounts));
  if ('endpoints' in body) problems.push(...endpointProblems(body.endpoints));
  if ('metadata' in body && body.metadata !== null) {
    if (!isPlainObject(body.metadata)) problems.push('"metadata" must be an object');
    else {
      for (const field of ['expires_at', 'renew_before']) {
        const value = body.metadata[field];
        if (value !== undefined && (typeof value !== 'string' || !TIMESTAMP.test(value))) problems.push(`"metadata.${field}" must look like yyyy-mm-ddThh:mm:ss.sZ, not ${JSON.stringify(value)}`);
      }
      const { expires_at: expires, renew_before: renew } = body.metadata;
      if (typeof expires === 'string' && typeof renew === 'string' && Date.parse(renew) > Date.parse(expires)) problems.push('"metadata.renew_before" must not be after "metadata.expires_at"');
    }
  }
  return problems;
}

function volumeMountProblems(value: unknown): string[] {
  if (!Array.isArray(value)) return ['"volume_mounts" must be an array'];
  return value.flatMap((mount, index) => {
    const at = `volume_mounts[${index}]`;
    if (!isPlainObject(mount)) return [`${at} must be an object`];
    const problems: string[] = [];
    for (const field of ['driver', 'container_dir', 'mode', 'device_type']) if (typeof mount[field] !== 'string' || mount[field] === '') problems.push(`${at}.${field} must be a non-empty string`);
    if (mount.mode !== undefined && mount.mode !== 'r' && mount.mode !== 'rw') problems.push(`${at}.mode must be "r" or "rw"`);
    if (mount.device_type !== undefined && mount.device_type !== 'shared') problems.push(`${at}.device_type must be "shared"`);
    if (!isPlainObject(mount.device)) problems.push(`${at}.device must be an object`);
    else {
      if (typeof mount.device.volume_id !== 'string' || mount.device.volume_id === '') problems.push(`${at}.device.volume_id must be a non-empty string`);
      if ('mount_config' in mount.device && mount.device.mount_config !== null && !isPlainObject(mount.device.mount_config)) problems.push(`${at}.device.mount_config must be an object`);
    }
    return problems;
  });
}

function endpointProblems(value: unknown): string[] {
  if (!Array.isArray(value)) return ['"endpoints" must be an array'];
  return value.flatMap((endpoint, index) => {
    const at = `endpoints[${index}]`;
    if (!isPlainObject(endpoint)) return [`${at} must be an object`];
    const problems: string[] = [];
    if (typeof endpoint.host !== 'string' || endpoint.host === '') problems.push(`${at}.host must be a non-empty string`);
    if (!Array.isArray(endpoint.ports) || endpoint.ports.length === 0) problems.push(`${at}.ports must be a non-empty array`);
    else for (const port of endpoint.ports) if (typeof port !== 'string' || !/^\d+(-\d+)?$/.test(port)) problems.push(`${at}.ports must hold "443" or "9000-9010" strings, not ${JSON.stringify(port)}`);
    if ('protocol' in endpoint && !['tcp', 'udp', 'all'].includes(endpoint.protocol as string)) problems.push(`${at}.protocol must be tcp, udp or all`);
    return problems;
  });
}

export type OperationKind = 'provision' | 'update' | 'deprovision' | 'bind' | 'unbind';

/** A last_operation 200 body; `kind` says which flags it may carry. */
export function lastOperationProblems(body: unknown, kind: OperationKind): string[] {
  if (!isPlainObject(body)) return [`the body must be a JSON object, not ${describe(body)}`];
  const problems: string[] = [];
  if (!['in progress', 'succeeded', 'failed'].includes(body.state as string)) problems.push(`"state" must be "in progress", "succeeded" or "failed", not ${JSON.stringify(body.state)}`);
  if ('description' in body && (typeof body.description !== 'string' || body.description === '')) problems.push('"description" must be a non-empty string');
  const failedUpdate = body.state === 'failed' && kind === 'update';
  const failedDeprovision = body.state === 'failed' && kind === 'deprovision';
  if ('instance_usable' in body && !failedUpdate && !failedDeprovision) problems.push('"instance_usable" is allowed only when an update or a deprovision failed');
  if ('update_repeatable' in body && !failedUpdate) problems.push('"update_repeatable" is allowed only when an update failed');
  return problems;
}

/** Retry-After: a number of seconds or an HTTP date (a duration is recommended). */
export function retryAfterProblem(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value[0] ?? '' : value;
  if (/^\d+$/.test(text.trim())) return undefined;
  if (!Number.isNaN(Date.parse(text))) return undefined;
  return `Retry-After must be a number of seconds or an HTTP date, not ${JSON.stringify(text)}`;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'an empty or non-JSON body';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
