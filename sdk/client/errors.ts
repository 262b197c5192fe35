import { brokerText } from './broker-text';

/**
 * What can go wrong when a platform calls a broker. The kinds matter: orphan mitigation
 * depends on whether the broker refused, failed, timed out or answered nonsense.
 */
export class OsbClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The broker answered with an error status (or a redirect, which is never followed). `body`
 * is its JSON object, or `{}` when the body was not one, was too large or too deep: a body
 * that is not an OSB error is never kept, so no message can quote it.
 */
export class OsbResponseError extends OsbClientError {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly endpoint: string,
  ) {
    const code = brokerText(body.error, 64);
    const description = brokerText(body.description);
    const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
    super(`${endpoint}: the broker answered ${status}${redirect}${code ? ` ${code}` : ''}${description ? `: ${description}` : ''}`);
  }

  /** The OSB error code (`AsyncRequired`, `ConcurrencyError`, ...), when the broker sent one. */
  get code(): string | undefined {
    return typeof this.body.error === 'string' ? this.body.error : undefined;
  }

  /** The broker's `description`, fit to show: one line of at most BROKER_TEXT_LIMIT printable characters. */
  get description(): string | undefined {
    return brokerText(this.body.description);
  }

  get instanceUsable(): boolean | undefined {
    return typeof this.body.instance_usable === 'boolean' ? this.body.instance_usable : undefined;
  }

  get updateRepeatable(): boolean | undefined {
    return typeof this.body.update_repeatable === 'boolean' ? this.body.update_repeatable : undefined;
  }
}

/** The request was never sent: its body cannot be serialised (nested too deep, say), or the broker URL cannot be used. */
export class OsbRequestError extends OsbClientError {
  constructor(readonly endpoint: string, readonly problem: string) {
    super(`${endpoint}: the request was not sent: ${problem}`);
  }
}

/** The broker did not answer within the request timeout. */
export class OsbTimeoutError extends OsbClientError {
  constructor(readonly endpoint: string, readonly timeoutMs: number) {
    super(`${endpoint}: the broker did not answer within ${timeoutMs} ms`);
  }
}

/** The broker could not be reached at all (refused, reset, DNS). */
export class OsbTransportError extends OsbClientError {
  constructor(readonly endpoint: string, readonly causeMessage: string) {
    super(`${endpoint}: the broker cannot be reached: ${causeMessage}`);
  }
}

/** A success status with a body that breaks the spec. */
export class OsbMalformedResponseError extends OsbClientError {
  constructor(readonly status: number, readonly endpoint: string, readonly problem: string) {
    super(`${endpoint}: the broker answered ${status} with a malformed body: ${problem}`);
  }
}

/** waitForOperation gave up after the maximum polling duration. */
export class OsbPollingTimeoutError extends OsbClientError {
  constructor(readonly operation: string | undefined, readonly seconds: number) {
    super(`the operation${operation ? ` ${operation}` : ''} did not finish within ${seconds} s of polling`);
  }
}
