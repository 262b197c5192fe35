import { createHash } from 'node:crypto';
import type { OsbContext } from '../../sdk';

/**
 * The names the broker gives AWS, all derived from the OSB ids, so a step that runs again after
 * a crash finds what the first run made instead of making it twice. OSB ids are 1 to 255
 * characters of `A-Z a-z 0-9 - . _ ~`; where AWS allows less, the id is replaced by a digest,
 * written so that it can never equal an id used as it is.
 */

/** Tag keys on file systems and access points; `aws:` is reserved by AWS. */
export const TAG_KEYS = {
  name: 'Name',
  instanceId: 'osbkit:instance-id',
  bindingId: 'osbkit:binding-id',
  organizationGuid: 'osbkit:organization-guid',
  spaceGuid: 'osbkit:space-guid',
  namespace: 'osbkit:namespace',
  clusterId: 'osbkit:cluster-id',
} as const;

export interface Tag {
  Key: string;
  Value: string;
}

const MAX_CREATION_TOKEN = 64;
const MAX_TAG_VALUE = 256;
/** What EFS allows in a tag value: letters, numbers, white space and `_ . : / = + - @`. */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * CreateFileSystem's CreationToken (at most 64 characters): the instance id itself when it
 * fits, otherwise `sha256:` and the start of its digest (an id never holds a colon).
 */
export function creationToken(instanceId: string): string {
  if (instanceId.length <= MAX_CREATION_TOKEN) return instanceId;
  return `sha256:${sha256(instanceId).slice(0, MAX_CREATION_TOKEN - 'sha256:'.length)}`;
}

/**
 * An OSB id as a tag value, exact so that a lookup by tag finds only its own resource: the id
 * itself when EFS allows it (no `~`), otherwise `sha256:` and its digest.
 */
export function idTagValue(id: string): string {
  return /^[A-Za-z0-9._-]{1,256}$/.test(id) ? id : `sha256:${sha256(id)}`;
}

/** A platform-supplied text as a tag value: characters EFS refuses become `_`, and it is cut at 256. */
function textTagValue(text: string): string {
  const cleaned = Array.from(text, (character) => (TAG_VALUE.test(character) ? character : '_')).join('');
  return cleaned.slice(0, MAX_TAG_VALUE);
}

/**
 * The file system's tags: its name, the instance id, and where it belongs on the platform:
 * organization and space on Cloud Foundry, namespace (and cluster) on Kubernetes.
 */
export function fileSystemTags(instanceId: string, placement: { organizationGuid?: string; spaceGuid?: string; context?: OsbContext }): Tag[] {
  const tags: Tag[] = [
    { Key: TAG_KEYS.name, Value: textTagValue(`osbkit-efs-${instanceId}`) },
    { Key: TAG_KEYS.instanceId, Value: idTagValue(instanceId) },
  ];
  const context = placement.context;
  const contextText = (key: string): string | undefined => {
    const value = context?.[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const organization = contextText('organization_guid') ?? placement.organizationGuid;
  const space = contextText('space_guid') ?? placement.spaceGuid;
  const namespace = context?.platform === 'kubernetes' ? contextText('namespace') : undefined;
  const cluster = context?.platform === 'kubernetes' ? contextText('clusterid') : undefined;
  if (namespace !== undefined) {
    tags.push({ Key: TAG_KEYS.namespace, Value: textTagValue(namespace) });
    if (cluster !== undefined) tags.push({ Key: TAG_KEYS.clusterId, Value: textTagValue(cluster) });
  } else {
    if (organization !== undefined && organization !== '') tags.push({ Key: TAG_KEYS.organizationGuid, Value: textTagValue(organization) });
    if (space !== undefined && space !== '') tags.push({ Key: TAG_KEYS.spaceGuid, Value: textTagValue(space) });
  }
  return tags;
}

export function accessPointTags(instanceId: string, bindingId: string): Tag[] {
  return [
    { Key: TAG_KEYS.name, Value: textTagValue(`osbkit-efs-binding-${bindingId}`) },
    { Key: TAG_KEYS.instanceId, Value: idTagValue(instanceId) },
    { Key: TAG_KEYS.bindingId, Value: idTagValue(bindingId) },
  ];
}

/**
 * CreateAccessPoint's ClientToken (at most 64 characters): the digest of the bind operation's
 * id, so every step of one bind, before and after a restart, asks for the same access point,
 * and a later bind of the same binding id asks for a new one.
 */
export function accessPointClientToken(operationId: string): string {
  return sha256(operationId);
}

export type RootDirectoryScope = 'instance' | 'binding';

export const INSTANCE_ROOT_DIRECTORY = '/shared';
export const BINDINGS_ROOT = '/bindings';

/**
 * The access point's root directory. EFS allows at most four components of no more than 100
 * characters in all, none starting with a dot: a binding id that is longer than 64 characters,
 * starts with a dot or `~`, gets `h-` and the start of its digest instead.
 */
export function rootDirectoryPath(scope: RootDirectoryScope, bindingId: string): string {
  if (scope === 'instance') return INSTANCE_ROOT_DIRECTORY;
  const name = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/.test(bindingId) ? bindingId : `h-${sha256(bindingId).slice(0, 40)}`;
  return `${BINDINGS_ROOT}/${name}`;
}

/** Whether a resource's tags carry `key` with exactly `value`. */
export function hasTag(tags: readonly { Key?: string; Value?: string }[] | undefined, key: string, value: string): boolean {
  return (tags ?? []).some((tag) => tag.Key === key && tag.Value === value);
}
