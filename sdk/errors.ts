/**
 * Errors as values. A broker author throws one of these and the SDK turns it into the exact
 * status and body the OSB spec names; broker code never touches HTTP.
 */

/** The error codes OSB 2.17 defines, plus the ones osbkit uses for its own refusals. */
export type OsbErrorCode =
  | 'AsyncRequired'
  | 'ConcurrencyError'
  | 'RequiresApp'
  | 'MaintenanceInfoConflict'
  | 'BadRequest'
  | 'Unauthorized'
  | 'NotFound'
  | 'Conflict'
  | 'Gone'
  | 'PreconditionFailed'
  | 'PayloadTooLarge'
  | 'UnprocessableEntity'
  | 'ServiceUnavailable'
  | 'InternalError';

export interface OsbErrorOptions {
  /** Spec error code sent as `error`; omitted from the body when undefined. */
  code?: OsbErrorCode | string;
  /** For failed updates and deprovisions only, as the spec restricts them. */
  instanceUsable?: boolean;
  /** For failed updates only. */
  updateRepeatable?: boolean;
  /** Some answers must have an empty `{}` body (410 on delete, 200 repeats). */
  emptyBody?: boolean;
  /** Shown in logs, never to the client. */
  cause?: unknown;
}

export class OsbError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly description: string;
  readonly instanceUsable: boolean | undefined;
  readonly updateRepeatable: boolean | undefined;
  readonly emptyBody: boolean;

  constructor(status: number, description: string, options: OsbErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OsbError';
    this.status = status;
    this.description = description;
    this.code = options.code;
    this.instanceUsable = options.instanceUsable;
    this.updateRepeatable = options.updateRepeatable;
    this.emptyBody = options.emptyBody ?? false;
  }

  /**
   * The response body; the same shape for every error so clients can rely on it. Given the
   * endpoint that failed, it leaves out the flags the spec forbids there: `instance_usable`
   * belongs to failed updates and deprovisions only, `update_repeatable` to failed updates
   * only. A broker may throw either anywhere, and an empty description, which the spec also
   * forbids, is left out too.
   */
  toBody(endpoint?: string): Record<string, unknown> {
    if (this.emptyBody) return {};
    const body: Record<string, unknown> = {};
    if (this.code !== undefined) body.error = this.code;
    if (this.description !== '') body.description = this.description;
    const anywhere = endpoint === undefined;
    if (this.instanceUsable !== undefined && (anywhere || endpoint === 'update' || endpoint === 'deprovision')) {
      body.instance_usable = this.instanceUsable;
    }
    if (this.updateRepeatable !== undefined && (anywhere || endpoint === 'update')) body.update_repeatable = this.updateRepeatable;
    return body;
  }
}

export function isOsbError(value: unknown): value is OsbError {
  return value instanceof OsbError;
}

/** Factories for every refusal the spec names, so call sites read like the spec. */
export const errors = {
  badRequest: (description: string) => new OsbError(400, description, { code: 'BadRequest' }),
  unauthorized: (description = 'Authentication is required: send valid HTTP Basic credentials.') =>
    new OsbError(401, description, { code: 'Unauthorized' }),
  notFound: (description: string) => new OsbError(404, description, { code: 'NotFound' }),
  conflict: (description: string) => new OsbError(409, description, { code: 'Conflict' }),
  gone: (description = 'The resource does not exist.') => new OsbError(410, description, { emptyBody: true }),
  preconditionFailed: (description: string) => new OsbError(412, description, { code: 'PreconditionFailed' }),
  payloadTooLarge: (limit: number) =>
    new OsbError(413, `The request body is larger than the limit of ${limit} bytes.`, { code: 'PayloadTooLarge' }),
  unprocessable: (description: string, options: OsbErrorOptions = {}) =>
    new OsbError(422, description, { code: 'UnprocessableEntity', ...options }),
  asyncRequired: (description = 'This service plan requires client support for asynchronous service operations.') =>
    new OsbError(422, description, { code: 'AsyncRequired' }),
  concurrency: (description = 'Another operation for this resource is in progress.') =>
    new OsbError(422, description, { code: 'ConcurrencyError' }),
  requiresApp: (description = 'This service supports generation of credentials through binding an application only.') =>
    new OsbError(422, description, { code: 'RequiresApp' }),
  maintenanceInfoConflict: (description: string) =>
    new OsbError(422, description, { code: 'MaintenanceInfoConflict' }),
  /** The backing service is down: a retry later may work, so this is not the client's fault. */
  unavailable: (description: string, cause?: unknown) =>
    new OsbError(503, description, { code: 'ServiceUnavailable', cause }),
  internal: (cause?: unknown) =>
    new OsbError(500, 'An internal error occurred in the service broker.', { code: 'InternalError', cause }),
};

/** Anything thrown that is not an OsbError becomes a generic 500; its message stays in the logs. */
export function toOsbError(value: unknown): OsbError {
  return isOsbError(value) ? value : errors.internal(value);
}
