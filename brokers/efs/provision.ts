import type { FileSystemDescription, MountTargetDescription } from '@aws-sdk/client-efs';
import { errors, type InProgress, type ProvisionRequest, type ProvisionResult, type ServicePlan, type StepContext } from '../../sdk';
import type { ResolvedEfsConfig } from './config';
import type { EfsApi } from './efs-api';
import { creationToken, fileSystemTags, hasTag, idTagValue, TAG_KEYS, type Tag } from './naming';
import { readCreateParameters, type PerformanceMode } from './parameters';
import { readCheckpoint, type Checkpoint, type InstanceData, type MountTargetRecord, type ProvisionPhase } from './records';
import { continueIn, startIn, throwIfAborted } from './waits';

/**
 * Provisioning an instance, one SDK step at a time:
 *
 * 1. CreateFileSystem with CreationToken = the instance id (AWS answers a repeat with the
 *    existing file system, so a step that runs twice makes one file system);
 * 2. its tags (instance id; organization and space, or namespace), given with the create; a
 *    file system found from an earlier run is adopted only with this instance's tag, and
 *    gets the tags it lacks;
 * 3. wait until the file system is `available`;
 * 4. CreateMountTarget in each configured subnet that has none yet (the existing ones are
 *    listed first, so none is made twice);
 * 5. wait until every one is `available`.
 *
 * The checkpoint holds the phase and the file system id; everything else is read from AWS
 * again in each step, so a broker restarted at any point carries on where AWS is.
 */

const PHASES: readonly ProvisionPhase[] = ['create-file-system', 'file-system', 'mount-targets'];

export function performanceMode(plan: ServicePlan): PerformanceMode {
  if (plan.name === 'generalPurpose' || plan.name === 'maxIO') return plan.name;
  throw errors.internal(new Error(`the EFS broker has no plan named ${JSON.stringify(plan.name)}`));
}

export async function provisionStep(api: EfsApi, config: ResolvedEfsConfig, request: ProvisionRequest, ctx: StepContext): Promise<ProvisionResult | InProgress> {
  const mode = performanceMode(request.plan);
  const parameters = readCreateParameters(request.parameters, mode);
  const token = creationToken(request.instanceId);
  const checkpoint = readCheckpoint(ctx.checkpoint, PHASES);
  if (!checkpoint) {
    if (!request.acceptsIncomplete) throw errors.asyncRequired('Creating an EFS file system and its mount targets takes minutes: this service plan requires accepts_incomplete=true.');
    return startIn<ProvisionPhase>('create-file-system', `Step 1 of 5: creating the EFS file system (CreationToken ${token}).`);
  }

  let fileSystem: FileSystemDescription | undefined;
  if (checkpoint.phase === 'create-file-system') {
    const tags = fileSystemTags(request.instanceId, request);
    const made = await api.createFileSystem({
      creationToken: token,
      performanceMode: mode,
      throughputMode: parameters.throughputMode,
      encrypted: parameters.encrypted,
      ...(parameters.kmsKeyId !== undefined ? { kmsKeyId: parameters.kmsKeyId } : {}),
      tags,
    });
    fileSystem = made.fileSystem;
    if (!made.created) await adoptTags(api, fileSystem, request.instanceId, tags);
    ctx.logger.info({ fileSystemId: fileSystem.FileSystemId, created: made.created }, made.created ? 'EFS file system created' : 'EFS file system found from an earlier attempt');
  }
  const fileSystemId = fileSystem?.FileSystemId ?? checkpoint.fileSystemId;
  if (!fileSystemId) throw errors.internal(new Error('the provision checkpoint has no file system id'));
  const at: Checkpoint<ProvisionPhase> = { ...checkpoint, fileSystemId };
  throwIfAborted(ctx);

  if (at.phase !== 'mount-targets') {
    fileSystem ??= await api.describeFileSystem(fileSystemId);
    if (!fileSystem) throw errors.unprocessable(`The file system ${fileSystemId} was deleted while it was being created.`);
    const state = fileSystem.LifeCycleState ?? 'unknown';
    if (state === 'creating' || state === 'updating') {
      return continueIn(config.waits, at, 'file-system', `Step 3 of 5: waiting for the file system ${fileSystemId} to become available (it is ${state}).`, { fileSystemId });
    }
    if (state !== 'available') throw errors.unprocessable(`The file system ${fileSystemId} is ${state}; it cannot become available.`);
    throwIfAborted(ctx);
  }

  const targets = await ensureMountTargets(api, config, fileSystemId);
  const waiting = config.subnetIds.filter((subnetId) => targets.get(subnetId)?.LifeCycleState !== 'available');
  for (const subnetId of waiting) {
    const state = targets.get(subnetId)?.LifeCycleState ?? 'unknown';
    if (state === 'error') throw errors.unprocessable(`The mount target ${targets.get(subnetId)?.MountTargetId ?? ''} of ${fileSystemId} in ${subnetId} is in state error.`);
  }
  if (waiting.length > 0) {
    const states = config.subnetIds.map((subnetId) => `${subnetId} ${targets.get(subnetId)?.LifeCycleState ?? 'deleted'}`).join(', ');
    return continueIn(config.waits, at, 'mount-targets', `Step 5 of 5: waiting for the mount targets of ${fileSystemId} to become available (${states}).`, { fileSystemId });
  }

  const data: InstanceData = {
    fileSystemId,
    region: config.region,
    mountTargets: config.subnetIds.map((subnetId) => mountTargetRecord(subnetId, targets.get(subnetId)!)),
  };
  ctx.logger.info({ fileSystemId, mountTargets: data.mountTargets.length }, 'EFS file system ready');
  return { data: { fileSystemId: data.fileSystemId, region: data.region, mountTargets: data.mountTargets.map((target) => ({ ...target })) } };
}

/**
 * Step 4: the file system's mount targets by subnet, after creating one in each configured
 * subnet that has none. A target still being deleted is left to go (AWS refuses a second one
 * in its zone); the next step makes the new one.
 */
async function ensureMountTargets(api: EfsApi, config: ResolvedEfsConfig, fileSystemId: string): Promise<Map<string, MountTargetDescription>> {
  const bySubnet = new Map<string, MountTargetDescription>();
  for (const target of await api.mountTargets(fileSystemId)) {
    if (target.SubnetId && target.LifeCycleState !== 'deleted') bySubnet.set(target.SubnetId, target);
  }
  for (const subnetId of config.subnetIds) {
    if (bySubnet.has(subnetId)) continue;
    bySubnet.set(subnetId, await api.createMountTarget(fileSystemId, subnetId, config.securityGroupIds));
  }
  return bySubnet;
}

/**
 * Step 2 for a file system found by its CreationToken rather than made now: it is adopted only
 * when it carries this instance's tag (it may hold someone else's data otherwise), and the
 * tags it lacks or holds with other values are set.
 */
async function adoptTags(api: EfsApi, fileSystem: FileSystemDescription, instanceId: string, tags: Tag[]): Promise<void> {
  const own = idTagValue(instanceId);
  if (!hasTag(fileSystem.Tags, TAG_KEYS.instanceId, own)) {
    const other = fileSystem.Tags?.find((tag) => tag.Key === TAG_KEYS.instanceId)?.Value;
    throw errors.conflict(
      `The file system ${fileSystem.FileSystemId ?? ''} has this instance's CreationToken but ${other === undefined ? `no ${TAG_KEYS.instanceId} tag` : `is tagged for instance ${other}`}; it is not adopted.`,
    );
  }
  const missing = tags.filter((tag) => !hasTag(fileSystem.Tags, tag.Key, tag.Value));
  if (missing.length > 0) await api.tagFileSystem(fileSystem.FileSystemId!, missing);
}

function mountTargetRecord(subnetId: string, target: MountTargetDescription): MountTargetRecord {
  return {
    subnetId,
    mountTargetId: target.MountTargetId!,
    ...(target.AvailabilityZoneName ? { availabilityZone: target.AvailabilityZoneName } : {}),
    ...(target.IpAddress ? { ipAddress: target.IpAddress } : {}),
  };
}
