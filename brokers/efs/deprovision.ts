import type { FileSystemDescription } from '@aws-sdk/client-efs';
import { errors, type DeprovisionRequest, type InProgress, type StepContext } from '../../sdk';
import type { ResolvedEfsConfig } from './config';
import type { EfsApi } from './efs-api';
import { creationToken, hasTag, idTagValue, TAG_KEYS } from './naming';
import { readCheckpoint, readInstanceData, type Checkpoint, type DeprovisionPhase, type ProvisionPhase } from './records';
import { continueIn, startIn, throwIfAborted } from './waits';

/**
 * Deprovisioning an instance, one SDK step at a time: find the file system, delete its access
 * points, delete its mount targets and wait until they are gone, DeleteFileSystem, and wait
 * until the file system is gone. Every call accepts "already gone", so a step that runs again
 * after a restart simply finds less to do.
 *
 * The file system is the one the provision stored, or for a create that failed or was halted
 * before it stored anything, the one with the instance's CreationToken (and tag), so the
 * platform's orphan-mitigating delete cleans up whatever the create had made.
 */

const PHASES: readonly DeprovisionPhase[] = ['find', 'access-points', 'mount-targets', 'delete-file-system', 'file-system'];
const PROVISION_PHASES: readonly ProvisionPhase[] = ['create-file-system', 'file-system', 'mount-targets'];

export async function deprovisionStep(api: EfsApi, config: ResolvedEfsConfig, request: DeprovisionRequest, ctx: StepContext): Promise<void | InProgress> {
  const checkpoint = readCheckpoint(ctx.checkpoint, PHASES);
  if (!checkpoint) {
    if (!request.acceptsIncomplete) throw errors.asyncRequired('Deleting an EFS file system and its mount targets takes minutes: this service plan requires accepts_incomplete=true.');
    return startIn<DeprovisionPhase>('find', 'Step 1 of 4: deleting the access points of the file system.');
  }
  let at: Checkpoint<DeprovisionPhase> = checkpoint;
  if (at.phase === 'find') {
    const fileSystem = await findInstanceFileSystem(api, request);
    if (!fileSystem?.FileSystemId) {
      ctx.logger.info('no EFS file system to delete');
      return;
    }
    at = { phase: fileSystem.LifeCycleState === 'deleting' ? 'file-system' : 'access-points', waits: 0, fileSystemId: fileSystem.FileSystemId };
  }
  const fileSystemId = at.fileSystemId;
  if (!fileSystemId) throw errors.internal(new Error('the deprovision checkpoint has no file system id'));

  for (;;) {
    throwIfAborted(ctx);
    switch (at.phase) {
      case 'find':
      case 'access-points': {
        const accessPoints = await api.accessPoints(fileSystemId);
        for (const accessPoint of accessPoints) {
          if (accessPoint.AccessPointId && accessPoint.LifeCycleState !== 'deleting') await api.deleteAccessPoint(accessPoint.AccessPointId);
        }
        if (accessPoints.length > 0) ctx.logger.info({ fileSystemId, accessPoints: accessPoints.length }, 'EFS access points deleted');
        at = { phase: 'mount-targets', waits: 0, fileSystemId };
        break;
      }
      case 'mount-targets': {
        let targets = await api.mountTargets(fileSystemId);
        let asked = false;
        for (const target of targets) {
          if (!target.MountTargetId || target.LifeCycleState === 'deleting' || target.LifeCycleState === 'deleted') continue;
          await api.deleteMountTarget(target.MountTargetId);
          asked = true;
        }
        if (asked) targets = await api.mountTargets(fileSystemId);
        const left = targets.filter((target) => target.LifeCycleState !== 'deleted');
        if (left.length > 0) {
          const states = left.map((target) => `${target.MountTargetId ?? '?'} ${target.LifeCycleState ?? 'unknown'}`).join(', ');
          return continueIn(config.waits, at, 'mount-targets', `Step 2 of 4: waiting for the mount targets of ${fileSystemId} to be deleted (${states}).`);
        }
        at = { phase: 'delete-file-system', waits: 0, fileSystemId };
        break;
      }
      case 'delete-file-system': {
        const answer = await api.deleteFileSystem(fileSystemId);
        if (answer === 'gone') return;
        if (answer === 'busy') return continueIn(config.waits, at, 'delete-file-system', `Step 3 of 4: deleting the file system ${fileSystemId} (AWS still counts mount targets on it).`);
        ctx.logger.info({ fileSystemId }, 'EFS file system deletion started');
        at = { phase: 'file-system', waits: 0, fileSystemId };
        break;
      }
      case 'file-system': {
        const fileSystem = await api.describeFileSystem(fileSystemId);
        const state = fileSystem?.LifeCycleState;
        if (!fileSystem || state === 'deleted') {
          ctx.logger.info({ fileSystemId }, 'EFS file system deleted');
          return;
        }
        if (state === 'deleting') return continueIn(config.waits, at, 'file-system', `Step 4 of 4: waiting for the file system ${fileSystemId} to be deleted (it is deleting).`);
        // Not being deleted (a step that ran before a restart was refused): from the access points again.
        at = { phase: 'access-points', waits: 0, fileSystemId };
        break;
      }
    }
  }
}

/**
 * The instance's file system: the stored one, the one a halted create had recorded, or the
 * one with the instance's CreationToken. One found by its token is deleted only when it
 * carries this instance's tag, so a file system someone else made is never touched.
 */
async function findInstanceFileSystem(api: EfsApi, request: DeprovisionRequest): Promise<FileSystemDescription | undefined> {
  const instanceId = request.instance.instanceId;
  const known = readInstanceData(request.instance.data)?.fileSystemId ?? readCheckpoint(request.haltedCheckpoint, PROVISION_PHASES)?.fileSystemId;
  if (known) return api.describeFileSystem(known);
  const found = await api.findFileSystem(creationToken(instanceId));
  if (!found) return undefined;
  if (!hasTag(found.Tags, TAG_KEYS.instanceId, idTagValue(instanceId))) {
    throw errors.unprocessable(`The file system ${found.FileSystemId ?? ''} has this instance's CreationToken but not its ${TAG_KEYS.instanceId} tag; the broker does not delete a file system it cannot show it made.`);
  }
  return found;
}
