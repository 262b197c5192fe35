import { accessPointClientToken, creationToken, fileSystemTags, idTagValue, rootDirectoryPath } from '../../../brokers/efs';

/** The names the broker gives AWS: what AWS allows, derived from the OSB ids alone. */

const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const ROOT_DIRECTORY = /^(\/|(\/(?!\.)[^$#<>;`|&?{}^*/\n]+){1,4})$/;

test('CreationToken: the instance id up to 64 characters, else a digest no id can equal', () => {
  expect(creationToken('6f1e2a34-0000-4000-8000-00000000abcd')).toBe('6f1e2a34-0000-4000-8000-00000000abcd');
  expect(creationToken('x'.repeat(64))).toBe('x'.repeat(64));
  const long = creationToken('x'.repeat(65));
  expect(long).toMatch(/^sha256:[0-9a-f]{57}$/);
  expect(creationToken('x'.repeat(65))).toBe(long);
  expect(creationToken('y'.repeat(65))).not.toBe(long);
});

test('an id as a tag value: itself when EFS allows it, else a digest (a ~ would be refused)', () => {
  expect(idTagValue('binding-1.a_b')).toBe('binding-1.a_b');
  expect(idTagValue('a~b')).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(idTagValue('a~b')).toMatch(TAG_VALUE);
  expect(idTagValue('a_b')).not.toBe(idTagValue('a~b'));
});

test('file system tags: Cloud Foundry organization and space, or Kubernetes namespace and cluster; platform text cleaned and cut', () => {
  expect(fileSystemTags('i-1', { organizationGuid: 'org', spaceGuid: 'space', context: { platform: 'cloudfoundry', organization_guid: 'org', space_guid: 'space' } })).toEqual([
    { Key: 'Name', Value: 'osbkit-efs-i-1' },
    { Key: 'osbkit:instance-id', Value: 'i-1' },
    { Key: 'osbkit:organization-guid', Value: 'org' },
    { Key: 'osbkit:space-guid', Value: 'space' },
  ]);
  const kubernetes = fileSystemTags('i~2', { organizationGuid: 'ignored', spaceGuid: 'ignored', context: { platform: 'kubernetes', namespace: 'team<a>', clusterid: 'c'.repeat(300) } });
  expect(kubernetes).toEqual([
    { Key: 'Name', Value: 'osbkit-efs-i_2' },
    { Key: 'osbkit:instance-id', Value: idTagValue('i~2') },
    { Key: 'osbkit:namespace', Value: 'team_a_' },
    { Key: 'osbkit:cluster-id', Value: 'c'.repeat(256) },
  ]);
  for (const tag of kubernetes) expect(tag.Value).toMatch(TAG_VALUE);
  // Without a context, the request's guids.
  expect(fileSystemTags('i-3', { organizationGuid: 'o', spaceGuid: 's' }).map((tag) => tag.Key)).toEqual(['Name', 'osbkit:instance-id', 'osbkit:organization-guid', 'osbkit:space-guid']);
});

test('root directories: /shared per instance, /bindings/<id> per binding, a digest for ids EFS would refuse', () => {
  expect(rootDirectoryPath('instance', 'b-1')).toBe('/shared');
  expect(rootDirectoryPath('binding', 'b-1')).toBe('/bindings/b-1');
  for (const id of ['.hidden', '..', '~x', 'b'.repeat(65), 'a'.repeat(255)]) {
    const path = rootDirectoryPath('binding', id);
    expect(path).toMatch(/^\/bindings\/h-[0-9a-f]{40}$/);
    expect(path).toMatch(ROOT_DIRECTORY);
    expect(path.length).toBeLessThanOrEqual(100);
  }
  expect(rootDirectoryPath('binding', 'b'.repeat(64))).toMatch(ROOT_DIRECTORY);
});

test('ClientToken: 64 hex characters of the operation id, the same for every step of one bind', () => {
  expect(accessPointClientToken('bind-1')).toMatch(/^[0-9a-f]{64}$/);
  expect(accessPointClientToken('bind-1')).toBe(accessPointClientToken('bind-1'));
  expect(accessPointClientToken('bind-2')).not.toBe(accessPointClientToken('bind-1'));
});
