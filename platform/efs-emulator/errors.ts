/**
 * Errors as the EFS API sends them. Every error is a value carrying its HTTP status; the
 * response names it in the `x-amzn-errortype` header, which is where the AWS SDK looks first.
 *
 * Two body shapes exist. EFS's own (modelled) errors carry `ErrorCode` and `Message` (plus
 * `FileSystemId` / `AccessPointId` for the two "already exists" errors), and the SDK copies
 * those members onto its typed exception. Errors raised by AWS's request layer before an
 * operation runs (authentication, unknown paths, unreadable bodies) carry only `message`.
 */

export type EfsErrorBody = Record<string, string>;

export class EfsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra members of the modelled error, e.g. FileSystemAlreadyExists' FileSystemId. */
    readonly members: Record<string, string> = {},
    /** True for request-layer errors, whose body is `{"message": ...}`. */
    readonly requestLayer = false,
  ) {
    super(message);
    this.name = code;
  }

  body(): EfsErrorBody {
    if (this.requestLayer) return { message: this.message };
    return { ErrorCode: this.code, Message: this.message, ...this.members };
  }
}

// EFS's modelled errors, with the statuses of the 2015-02-01 model.

export const badRequest = (message: string): EfsError => new EfsError(400, 'BadRequest', message);

export const fileSystemNotFound = (id: string): EfsError => new EfsError(404, 'FileSystemNotFound', `File system '${id}' does not exist.`);

export const mountTargetNotFound = (id: string): EfsError => new EfsError(404, 'MountTargetNotFound', `Mount target '${id}' does not exist.`);

export const accessPointNotFound = (id: string): EfsError => new EfsError(404, 'AccessPointNotFound', `Access point '${id}' does not exist.`);

export const fileSystemAlreadyExists = (fileSystemId: string): EfsError =>
  new EfsError(409, 'FileSystemAlreadyExists', `File system '${fileSystemId}' already exists with creation token you provided.`, { FileSystemId: fileSystemId });

export const accessPointAlreadyExists = (accessPointId: string): EfsError =>
  new EfsError(409, 'AccessPointAlreadyExists', `Access point '${accessPointId}' already exists with the client token you provided.`, { AccessPointId: accessPointId });

export const fileSystemInUse = (id: string): EfsError => new EfsError(409, 'FileSystemInUse', `File system '${id}' has mount targets and cannot be deleted.`);

export const incorrectFileSystemLifeCycleState = (id: string, state: string): EfsError =>
  new EfsError(409, 'IncorrectFileSystemLifeCycleState', `File system '${id}' is in life cycle state '${state}'; the operation needs 'available'.`);

export const mountTargetConflict = (fileSystemId: string, availabilityZone: string, existing: string): EfsError =>
  new EfsError(409, 'MountTargetConflict', `File system '${fileSystemId}' already has mount target '${existing}' in availability zone '${availabilityZone}'.`);

export const subnetNotFound = (subnetId: string): EfsError => new EfsError(400, 'SubnetNotFound', `The subnet ID '${subnetId}' does not exist`);

export const ipAddressInUse = (ip: string, subnetId: string): EfsError => new EfsError(409, 'IpAddressInUse', `IP address ${ip} is already in use in subnet '${subnetId}'.`);

export const noFreeAddressesInSubnet = (subnetId: string): EfsError => new EfsError(409, 'NoFreeAddressesInSubnet', `Subnet '${subnetId}' has no free IP addresses.`);

export const securityGroupLimitExceeded = (count: number): EfsError =>
  new EfsError(400, 'SecurityGroupLimitExceeded', `${count} security groups were given; a mount target can have at most 5.`);

export const availabilityZonesMismatch = (fileSystemId: string, fileSystemZone: string, subnetZone: string): EfsError =>
  new EfsError(400, 'AvailabilityZonesMismatch', `One Zone file system '${fileSystemId}' is in '${fileSystemZone}'; the subnet is in '${subnetZone}'.`);

export const unsupportedAvailabilityZone = (zone: string): EfsError =>
  new EfsError(400, 'UnsupportedAvailabilityZone', `Amazon EFS is not available in availability zone '${zone}'.`);

export const fileSystemLimitExceeded = (limit: number): EfsError =>
  new EfsError(403, 'FileSystemLimitExceeded', `The account already has the maximum number of file systems (${limit}).`);

export const accessPointLimitExceeded = (fileSystemId: string, limit: number): EfsError =>
  new EfsError(403, 'AccessPointLimitExceeded', `File system '${fileSystemId}' already has the maximum number of access points (${limit}).`);

/** One or more members broke the model's constraints (lengths, patterns, ranges, enums, required). */
export const validationException = (message: string): EfsError => new EfsError(400, 'ValidationException', message);

/**
 * Throttling. EFS models ThrottlingException with status 429 (CreateAccessPoint); AWS's common
 * throttling error, which every other operation can return, has status 400.
 */
export const throttlingException = (status: 400 | 429): EfsError => new EfsError(status, 'ThrottlingException', 'Rate exceeded');

export const internalServerError = (): EfsError => new EfsError(500, 'InternalServerError', 'An internal error occurred. Please try again.');

// AWS's request layer.

export const missingAuthenticationToken = (): EfsError => new EfsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token', {}, true);

export const incompleteSignature = (message: string): EfsError => new EfsError(400, 'IncompleteSignatureException', message, {}, true);

export const invalidSignature = (message: string): EfsError => new EfsError(403, 'InvalidSignatureException', message, {}, true);

export const unrecognizedClient = (): EfsError => new EfsError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.', {}, true);

export const unknownOperation = (): EfsError => new EfsError(404, 'UnknownOperationException', 'Unknown operation', {}, true);

export const serializationException = (message: string): EfsError => new EfsError(400, 'SerializationException', message, {}, true);

export const requestEntityTooLarge = (limit: number): EfsError =>
  new EfsError(413, 'RequestEntityTooLargeException', `Request body is larger than ${limit} bytes`, {}, true);
