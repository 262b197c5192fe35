import { errors, type OsbError } from '../../sdk';

/**
 * What an AWS failure means for the broker, once the AWS SDK's own retries are spent:
 *
 * - **transient**: throttling, a 5xx, a timeout or a broken connection. The answer is 503,
 *   which the osbkit SDK retries with backoff when it comes from a background step, and which
 *   a platform may retry when it comes from a request.
 * - **refused**: AWS answered and said no (a subnet that does not exist, a limit, missing
 *   permissions, no credentials). Trying again cannot help: 422 with AWS's own words, which
 *   ends a background operation as `failed` with that description.
 *
 * Anything that is not an AWS or network error (a bug) is left alone, so the SDK logs it and
 * answers 500 without showing it.
 */

/** Error names AWS uses for throttling, as the AWS SDK's retry strategy lists them. */
const THROTTLING = new Set([
  'ThrottlingException', 'Throttling', 'ThrottledException', 'RequestThrottledException', 'TooManyRequestsException',
  'ProvisionedThroughputExceededException', 'TransactionInProgressException', 'RequestLimitExceeded', 'BandwidthLimitExceeded',
  'LimitExceededException', 'RequestThrottled', 'SlowDown', 'PriorRequestNotComplete', 'EC2ThrottledException',
]);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);
/** Failures of the credential chain: the operator's configuration, not the request. */
const CREDENTIALS = new Set(['CredentialsProviderError', 'TokenProviderError']);

const MAX_MESSAGE = 500;

interface AwsErrorShape {
  name: string;
  message: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function shape(error: unknown): AwsErrorShape | undefined {
  if (!(error instanceof Error)) return undefined;
  const extra = error as Error & { code?: unknown; $metadata?: unknown; $retryable?: unknown };
  const metadata = typeof extra.$metadata === 'object' && extra.$metadata !== null ? (extra.$metadata as { httpStatusCode?: unknown }) : undefined;
  return {
    name: error.name,
    message: error.message,
    ...(typeof extra.code === 'string' ? { code: extra.code } : {}),
    ...(metadata ? { $metadata: typeof metadata.httpStatusCode === 'number' ? { httpStatusCode: metadata.httpStatusCode } : {} } : {}),
    ...(extra.$retryable !== undefined ? { $retryable: extra.$retryable } : {}),
  };
}

/** Whether `error` is the AWS error `name` (e.g. FileSystemNotFound). */
export function isAwsError(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name && typeof (error as { $metadata?: unknown }).$metadata === 'object';
}

export type FailureKind = 'transient' | 'refused';

/** Transient, refused, or undefined for something that is neither an AWS nor a network error. */
export function failureKind(error: unknown): FailureKind | undefined {
  const found = shape(error);
  if (!found) return undefined;
  if (THROTTLING.has(found.name) || TIMEOUTS.has(found.name)) return 'transient';
  if (found.code !== undefined && NETWORK_CODES.has(found.code)) return 'transient';
  if (CREDENTIALS.has(found.name)) return 'refused';
  const status = found.$metadata?.httpStatusCode;
  if (found.$metadata === undefined) return undefined;
  if (found.$retryable !== undefined) return 'transient';
  if (status === undefined) return 'transient';
  if (status === 429 || status >= 500) return 'transient';
  return 'refused';
}

function awsText(error: unknown): string {
  const found = shape(error);
  if (!found) return String(error);
  const message = found.message.replace(/\s+/g, ' ').trim();
  const short = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
  return short === '' || short === found.name ? found.name : `${found.name}: ${short}`;
}

/**
 * The OSB error for a failed AWS call. `action` says what the broker was doing, e.g.
 * "CreateMountTarget in subnet-0abc", and starts the description.
 */
export function awsFailure(action: string, error: unknown): OsbError | undefined {
  const kind = failureKind(error);
  if (kind === undefined) return undefined;
  if (kind === 'transient') return errors.unavailable(`AWS EFS did not complete ${action} (${awsText(error)}); it will be tried again.`, error);
  return errors.unprocessable(`AWS EFS refused ${action}: ${awsText(error)}`);
}

/** Runs one AWS call, turning its failure into the OSB error `awsFailure` gives (or rethrowing a bug as it is). */
export async function callAws<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw awsFailure(action, error) ?? error;
  }
}
