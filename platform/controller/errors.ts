/**
 * Errors in Cloud Controller v3's shape: `{ errors: [{ code, title, detail }] }`. The same
 * value describes a refused HTTP request and a failed job, so a job's `errors` read exactly
 * like the answer a synchronous request would have given.
 */

export interface ErrorEntry {
  code: number;
  title: string;
  detail: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly code: number,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }

  get entry(): ErrorEntry {
    return { code: this.code, title: this.title, detail: this.detail };
  }

  toBody(): { errors: ErrorEntry[] } {
    return { errors: [this.entry] };
  }
}

/** A job ended in failure; its errors are what GET /v3/jobs/:guid shows. */
export class JobFailure extends Error {
  constructor(readonly errors: ErrorEntry[]) {
    super(errors.map((e) => e.detail).join('; '));
    this.name = 'JobFailure';
  }

  static of(error: ApiError): JobFailure {
    return new JobFailure([error.entry]);
  }
}

// Codes and titles follow Cloud Controller's errors.yml so CF tooling recognises them.
export const apiErrors = {
  unknownRoute: (): ApiError => new ApiError(404, 'CF-NotFound', 10000, 'Unknown request'),
  notAuthenticated: (): ApiError =>
    new ApiError(401, 'CF-NotAuthenticated', 10002, 'Authentication error: send Authorization: Bearer <token>; POST /oauth/token issues one'),
  invalidAuthToken: (detail: string): ApiError => new ApiError(401, 'CF-InvalidAuthToken', 1000, `Invalid Auth Token: ${detail}`),
  notAuthorized: (): ApiError => new ApiError(403, 'CF-NotAuthorized', 10003, 'You are not authorized to perform the requested action'),
  notFound: (resource: string): ApiError => new ApiError(404, 'CF-ResourceNotFound', 10010, `${resource} not found`),
  messageParse: (detail: string): ApiError =>
    new ApiError(400, 'CF-MessageParseError', 1001, `Request invalid due to parse error: ${detail}`),
  invalidRequest: (detail: string): ApiError => new ApiError(400, 'CF-InvalidRequest', 10004, `The request is invalid: ${detail}`),
  badQuery: (detail: string): ApiError => new ApiError(400, 'CF-BadQueryParameter', 10005, `The query parameter is invalid: ${detail}`),
  tooLarge: (): ApiError => new ApiError(413, 'CF-RequestEntityTooLarge', 10004, 'The request body is too large.'),
  unprocessable: (detail: string): ApiError => new ApiError(422, 'CF-UnprocessableEntity', 10008, detail),
  packageInvalid: (detail: string): ApiError => new ApiError(422, 'CF-AppPackageInvalid', 150001, `The app package is invalid: ${detail}`),
  bitsAlreadyUploaded: (): ApiError =>
    new ApiError(400, 'CF-PackageBitsAlreadyUploaded', 150004, 'Bits may be uploaded only once. Create a new package to upload different bits.'),
  instanceOperationInProgress: (name: string): ApiError =>
    new ApiError(409, 'CF-AsyncServiceInstanceOperationInProgress', 60016, `An operation for service instance ${name} is in progress.`),
  bindingOperationInProgress: (): ApiError =>
    new ApiError(409, 'CF-AsyncServiceBindingOperationInProgress', 90008, 'An operation for the service binding is in progress.'),
  runnerUnavailable: (detail: string): ApiError =>
    new ApiError(503, 'CF-RunnerUnavailable', 170015, `Runner is unavailable: ${detail}`),
  unknown: (): ApiError => new ApiError(500, 'CF-UnknownError', 10001, 'An unknown error occurred.'),
  brokerBadResponse: (detail: string): ApiError => new ApiError(502, 'CF-ServiceBrokerBadResponse', 10001, detail),
  brokerRequestRejected: (detail: string): ApiError => new ApiError(502, 'CF-ServiceBrokerRequestRejected', 10001, detail),
  brokerTimeout: (detail: string): ApiError => new ApiError(504, 'CF-ServiceBrokerApiTimeout', 10001, detail),
  brokerUnreachable: (detail: string): ApiError => new ApiError(502, 'CF-ServiceBrokerApiUnreachable', 10001, detail),
  brokerOperationFailed: (detail: string): ApiError => new ApiError(502, 'CF-ServiceBrokerOperationFailed', 10001, detail),
  catalogInvalid: (problems: string[]): ApiError =>
    new ApiError(502, 'CF-ServiceBrokerCatalogInvalid', 270012, `Service broker catalog is invalid: \n${problems.join('\n')}`),
  catalogIncompatible: (problems: string[]): ApiError =>
    new ApiError(502, 'CF-ServiceBrokerCatalogIncompatible', 270019, `Service broker catalog is incompatible: \n${problems.join('\n')}`),
};
