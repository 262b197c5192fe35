import {
  AccessPointAlreadyExists,
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DeleteAccessPointCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DescribeAccessPointsCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
  FileSystemAlreadyExists,
  TagResourceCommand,
  type AccessPointDescription,
  type FileSystemDescription,
  type MountTargetDescription,
} from '@aws-sdk/client-efs';
import { errors } from '../../sdk';
import { callAws, isAwsError } from './aws-errors';
import type { PerformanceMode, ThroughputMode } from './parameters';
import type { Tag } from './naming';

/**
 * The EFS calls the broker makes, one method each, through the real AWS SDK. Every method
 * turns AWS's failures into OSB errors (aws-errors.ts) and answers "not found" as a value
 * where the broker treats it as a state, so the steps read as straight lines. Lists are
 * followed to their last page.
 */

export interface EfsClientSettings {
  region: string;
  /** Another endpoint than AWS's, such as the EFS emulator. */
  endpoint?: string;
  /** Attempts per call, the first included, by the AWS SDK's standard retry strategy. */
  maxAttempts: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_MAX_ATTEMPTS = 6;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * An EFS client with the default credential chain (environment, shared files, SSO, web
 * identity, container and instance metadata): the broker never takes keys as flags.
 * Throttling, 5xx and connection errors are retried by the SDK's standard strategy
 * (exponential backoff with jitter, a retry budget shared by the client).
 */
export function createEfsClient(settings: EfsClientSettings): EFSClient {
  return new EFSClient({
    region: settings.region,
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    retryMode: 'standard',
    maxAttempts: settings.maxAttempts,
    requestHandler: { connectionTimeout: settings.connectTimeoutMs, requestTimeout: settings.requestTimeoutMs },
  });
}

export interface NewFileSystem {
  creationToken: string;
  performanceMode: PerformanceMode;
  throughputMode: ThroughputMode;
  encrypted: boolean;
  kmsKeyId?: string;
  tags: Tag[];
}

export class EfsApi {
  constructor(readonly client: EFSClient) {}

  /** Creates the file system, or finds the one made earlier with the same token (`created` tells which). */
  async createFileSystem(input: NewFileSystem): Promise<{ fileSystem: FileSystemDescription; created: boolean }> {
    const answer = await callAws('CreateFileSystem', async () => {
      try {
        const fileSystem = await this.client.send(
          new CreateFileSystemCommand({
            CreationToken: input.creationToken,
            PerformanceMode: input.performanceMode,
            ThroughputMode: input.throughputMode,
            Encrypted: input.encrypted,
            ...(input.kmsKeyId !== undefined ? { KmsKeyId: input.kmsKeyId } : {}),
            Tags: input.tags,
          }),
        );
        return { kind: 'created' as const, fileSystem };
      } catch (error) {
        if (error instanceof FileSystemAlreadyExists && error.FileSystemId) return { kind: 'existing' as const, existingId: error.FileSystemId };
        throw error;
      }
    });
    if (answer.kind === 'created') return { fileSystem: answer.fileSystem, created: true };
    const fileSystem = await this.describeFileSystem(answer.existingId);
    // Deleted between the two calls: the next step creates it afresh.
    if (!fileSystem) throw errors.unavailable(`CreateFileSystem answered that ${answer.existingId} exists, and DescribeFileSystems no longer knows it; it will be tried again.`);
    return { fileSystem, created: false };
  }

  async describeFileSystem(fileSystemId: string): Promise<FileSystemDescription | undefined> {
    const answer = await callAws(`DescribeFileSystems of ${fileSystemId}`, () =>
      this.client.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId })).catch(notFoundAs('FileSystemNotFound')),
    );
    return answer?.FileSystems?.find((fileSystem) => fileSystem.FileSystemId === fileSystemId);
  }

  /** The file system whose CreationToken is `token`, if any. */
  async findFileSystem(token: string): Promise<FileSystemDescription | undefined> {
    const answer = await callAws('DescribeFileSystems by CreationToken', () => this.client.send(new DescribeFileSystemsCommand({ CreationToken: token })));
    return answer.FileSystems?.find((fileSystem) => fileSystem.CreationToken === token);
  }

  async tagFileSystem(fileSystemId: string, tags: Tag[]): Promise<void> {
    await callAws(`TagResource on ${fileSystemId}`, () => this.client.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: tags })));
  }

  /** Every mount target of the file system; none when the file system is gone. */
  async mountTargets(fileSystemId: string): Promise<MountTargetDescription[]> {
    const found: MountTargetDescription[] = [];
    let marker: string | undefined;
    do {
      const answer = await callAws(`DescribeMountTargets of ${fileSystemId}`, () =>
        this.client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId, ...(marker ? { Marker: marker } : {}) })).catch(notFoundAs('FileSystemNotFound')),
      );
      if (!answer) return [];
      found.push(...(answer.MountTargets ?? []));
      marker = answer.NextMarker;
    } while (marker);
    return found;
  }

  async createMountTarget(fileSystemId: string, subnetId: string, securityGroups: readonly string[]): Promise<MountTargetDescription> {
    return callAws(`CreateMountTarget in ${subnetId}`, () =>
      this.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: subnetId, SecurityGroups: [...securityGroups] })),
    );
  }

  /** `busy` while AWS cannot delete it yet (IncorrectMountTargetState, e.g. still creating); `gone` when it was already gone. */
  async deleteMountTarget(mountTargetId: string): Promise<'deleting' | 'busy' | 'gone'> {
    return callAws(`DeleteMountTarget of ${mountTargetId}`, () =>
      this.client
        .send(new DeleteMountTargetCommand({ MountTargetId: mountTargetId }))
        .then(() => 'deleting' as const)
        .catch((error: unknown) => {
          if (isAwsError(error, 'IncorrectMountTargetState')) return 'busy' as const;
          if (isAwsError(error, 'MountTargetNotFound')) return 'gone' as const;
          throw error;
        }),
    );
  }

  /** Every access point of the file system; none when the file system is gone. */
  async accessPoints(fileSystemId: string): Promise<AccessPointDescription[]> {
    const found: AccessPointDescription[] = [];
    let token: string | undefined;
    do {
      const answer = await callAws(`DescribeAccessPoints of ${fileSystemId}`, () =>
        this.client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId, ...(token ? { NextToken: token } : {}) })).catch(notFoundAs('FileSystemNotFound')),
      );
      if (!answer) return [];
      found.push(...(answer.AccessPoints ?? []));
      token = answer.NextToken;
    } while (token);
    return found;
  }

  async describeAccessPoint(accessPointId: string): Promise<AccessPointDescription | undefined> {
    const answer = await callAws(`DescribeAccessPoints of ${accessPointId}`, () =>
      this.client.send(new DescribeAccessPointsCommand({ AccessPointId: accessPointId })).catch(notFoundAs('AccessPointNotFound')),
    );
    return answer?.AccessPoints?.find((accessPoint) => accessPoint.AccessPointId === accessPointId);
  }

  /**
   * Creates the access point, or, for a ClientToken already used on this file system, finds the
   * one it made (`AccessPointAlreadyExists` carries its id). Answers its id and state.
   */
  async createAccessPoint(input: {
    fileSystemId: string;
    clientToken: string;
    uid: number;
    gid: number;
    rootPath: string;
    permissions: string;
    tags: Tag[];
  }): Promise<{ accessPointId: string; state: string | undefined }> {
    const answer = await callAws(`CreateAccessPoint on ${input.fileSystemId}`, async () => {
      try {
        const created = await this.client.send(
          new CreateAccessPointCommand({
            FileSystemId: input.fileSystemId,
            ClientToken: input.clientToken,
            PosixUser: { Uid: input.uid, Gid: input.gid },
            RootDirectory: { Path: input.rootPath, CreationInfo: { OwnerUid: input.uid, OwnerGid: input.gid, Permissions: input.permissions } },
            Tags: input.tags,
          }),
        );
        return { kind: 'created' as const, created };
      } catch (error) {
        if (error instanceof AccessPointAlreadyExists && error.AccessPointId) return { kind: 'existing' as const, existingId: error.AccessPointId };
        throw error;
      }
    });
    if (answer.kind === 'created') {
      if (!answer.created.AccessPointId) throw errors.unavailable('CreateAccessPoint answered without an AccessPointId; it will be tried again.');
      return { accessPointId: answer.created.AccessPointId, state: answer.created.LifeCycleState };
    }
    const existing = await this.describeAccessPoint(answer.existingId);
    return { accessPointId: answer.existingId, state: existing?.LifeCycleState };
  }

  /** False when the access point was already gone. */
  async deleteAccessPoint(accessPointId: string): Promise<boolean> {
    const answer = await callAws(`DeleteAccessPoint of ${accessPointId}`, () =>
      this.client.send(new DeleteAccessPointCommand({ AccessPointId: accessPointId })).then(() => true as const).catch(notFoundAs('AccessPointNotFound')),
    );
    return answer === true;
  }

  /** `busy` while mount targets remain (FileSystemInUse) or its state forbids it; `gone` when there was nothing to delete. */
  async deleteFileSystem(fileSystemId: string): Promise<'deleting' | 'busy' | 'gone'> {
    return callAws(`DeleteFileSystem of ${fileSystemId}`, () =>
      this.client
        .send(new DeleteFileSystemCommand({ FileSystemId: fileSystemId }))
        .then(() => 'deleting' as const)
        .catch((error: unknown) => {
          if (isAwsError(error, 'FileSystemInUse') || isAwsError(error, 'IncorrectFileSystemLifeCycleState')) return 'busy' as const;
          if (isAwsError(error, 'FileSystemNotFound')) return 'gone' as const;
          throw error;
        }),
    );
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** A catch handler that turns the AWS error `name` into undefined and rethrows the rest. */
function notFoundAs(name: string): (error: unknown) => undefined {
  return (error: unknown) => {
    if (isAwsError(error, name)) return undefined;
    throw error;
  };
}
