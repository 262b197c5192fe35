import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFileSystemCommand, type EFSClient } from '@aws-sdk/client-efs';
import type { RunningEfsEmulator } from '../../../platform/efs-emulator';
import { closeBrokers } from '../../support/osb-harness';
import {
  deprovision, EFS_SERVICE_ID, fileSystemByToken, finish, GENERAL_PURPOSE, inspector, MAX_IO, mountTargetsOf, provision, SECURITY_GROUP,
  startEfsBroker, startEmulator, SUBNETS, tagsOf, useDummyAwsCredentials,
} from './support';

/**
 * Provision and deprovision through the broker, the real AWS SDK and the EFS emulator: the
 * steps AWS sees, what last_operation says on the way, refusals before anything is made, and
 * clean-up after a create that failed, was halted, or left a file system behind.
 */
jest.setTimeout(60_000);
useDummyAwsCredentials();

let emulator: RunningEfsEmulator;
let aws: EFSClient;
beforeAll(async () => {
  emulator = await startEmulator();
  aws = inspector(emulator);
});
afterEach(async () => {
  emulator.setFaults({ throttleRate: 0, errorRate: 0, latencyMs: 0 });
  await closeBrokers();
});
afterAll(async () => {
  aws?.destroy();
  await emulator?.close();
});

describe('provision', () => {
  test('creates the file system with CreationToken = instance id, its tags, and a mount target per subnet; last_operation names each step', async () => {
    const { osb } = startEfsBroker(emulator);
    const id = randomUUID();
    // Slow answers, so the first poll comes before the first background step has finished.
    emulator.setFaults({ latencyMs: 300 });
    const accepted = await provision(osb, id, { parameters: { throughput_mode: 'elastic', encrypted: true } });
    expect(accepted.status).toBe(202);
    const { final, descriptions } = await finish(osb, id, accepted.body.operation);
    emulator.setFaults({ latencyMs: 0 });
    expect(final.body).toEqual({ state: 'succeeded' });
    expect(descriptions[0]).toMatch(/^Step 1 of 5: creating the EFS file system/);
    expect(descriptions).toEqual(expect.arrayContaining([expect.stringMatching(/^Step 3 of 5: waiting for the file system fs-[0-9a-f]+ to become available \(it is creating\)/)]));
    expect(descriptions).toEqual(expect.arrayContaining([expect.stringMatching(/^Step 5 of 5: waiting for the mount targets of fs-[0-9a-f]+ to become available \(subnet-00000001 creating, subnet-00000002 creating\)/)]));

    const fileSystem = (await fileSystemByToken(aws, id))!;
    expect(fileSystem).toMatchObject({ LifeCycleState: 'available', PerformanceMode: 'generalPurpose', ThroughputMode: 'elastic', Encrypted: true });
    expect(tagsOf(fileSystem)).toEqual({
      Name: `osbkit-efs-${id}`,
      'osbkit:instance-id': id,
      'osbkit:organization-guid': 'org-guid-1',
      'osbkit:space-guid': 'space-guid-1',
    });
    const targets = await mountTargetsOf(aws, fileSystem.FileSystemId!);
    expect(targets.map((target) => [target.SubnetId, target.LifeCycleState]).sort()).toEqual(SUBNETS.map((subnet) => [subnet, 'available']));

    const repeat = await provision(osb, id, { parameters: { throughput_mode: 'elastic', encrypted: true } });
    expect(repeat.status).toBe(200);
    const fetched = await osb.get(`/v2/service_instances/${id}`);
    expect(fetched.body).toMatchObject({ plan_id: GENERAL_PURPOSE, parameters: { throughput_mode: 'elastic', encrypted: true } });
  });

  test('maxIO with the defaults: bursting throughput, encrypted; a Kubernetes context tags the namespace', async () => {
    const { osb } = startEfsBroker(emulator);
    const id = randomUUID();
    const accepted = await provision(osb, id, { planId: MAX_IO, context: { platform: 'kubernetes', namespace: 'team-a', clusterid: 'cluster-1' } });
    expect(accepted.status).toBe(202);
    expect((await finish(osb, id, accepted.body.operation)).final.body.state).toBe('succeeded');
    const fileSystem = (await fileSystemByToken(aws, id))!;
    expect(fileSystem).toMatchObject({ PerformanceMode: 'maxIO', ThroughputMode: 'bursting', Encrypted: true });
    expect(tagsOf(fileSystem)).toMatchObject({ 'osbkit:namespace': 'team-a', 'osbkit:cluster-id': 'cluster-1' });
    expect(tagsOf(fileSystem)['osbkit:space-guid']).toBeUndefined();
  });

  test('without accepts_incomplete: 422 AsyncRequired, and nothing is created', async () => {
    const { osb } = startEfsBroker(emulator);
    const id = randomUUID();
    const refused = await provision(osb, id, { acceptsIncomplete: false });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('AsyncRequired');
    expect(await fileSystemByToken(aws, id)).toBeUndefined();
    expect((await osb.get(`/v2/service_instances/${id}/last_operation`)).status).toBe(404);
  });

  test.each([
    [{ size: 5 }, /\/size is not allowed|unknown parameters: size/],
    [{ throughput_mode: 'provisioned' }, /throughput_mode/],
    [{ encrypted: 'yes' }, /encrypted/],
    [{ encrypted: false, kms_key_id: 'alias/mine' }, /kms_key_id needs encrypted true/],
    [{ kms_key_id: 'not a key' }, /kms_key_id must be a KMS key id/],
  ])('bad parameters %j: 400 naming the problem, nothing created', async (parameters, message) => {
    const { osb } = startEfsBroker(emulator);
    const id = randomUUID();
    const refused = await provision(osb, id, { parameters });
    expect(refused.status).toBe(400);
    expect(refused.body.description).toMatch(message);
    expect(await fileSystemByToken(aws, id)).toBeUndefined();
  });

  test('elastic throughput on maxIO is refused with 400 before AWS is asked', async () => {
    const { osb } = startEfsBroker(emulator);
    const id = randomUUID();
    const refused = await provision(osb, id, { planId: MAX_IO, parameters: { throughput_mode: 'elastic' } });
    expect(refused.status).toBe(400);
    expect(refused.body.description).toContain('throughput_mode "elastic" is not available on the maxIO plan');
    expect(await fileSystemByToken(aws, id)).toBeUndefined();
  });

  test('a subnet that does not exist: the operation fails with AWS\'s message, and the delete that follows removes what was made', async () => {
    const { osb } = startEfsBroker(emulator, { subnetIds: 'subnet-00000001,subnet-0000dead' });
    const id = randomUUID();
    const accepted = await provision(osb, id);
    const { final } = await finish(osb, id, accepted.body.operation);
    expect(final.body.state).toBe('failed');
    expect(final.body.description).toMatch(/^AWS EFS refused CreateMountTarget in subnet-0000dead: SubnetNotFound: .*subnet-0000dead/);
    const fileSystem = (await fileSystemByToken(aws, id))!;
    expect((await mountTargetsOf(aws, fileSystem.FileSystemId!)).map((target) => target.SubnetId)).toEqual(['subnet-00000001']);

    // The platform's orphan mitigation: a delete of the failed instance, which stored no data.
    const deleting = await deprovision(osb, id);
    expect(deleting.status).toBe(202);
    expect((await finish(osb, id, deleting.body.operation)).final.body).toEqual({ state: 'succeeded' });
    expect(await fileSystemByToken(aws, id)).toBeUndefined();
  });

  test('a file system left by an earlier attempt (same CreationToken, this instance\'s tag) is adopted, not made twice, and gets the tags it lacks', async () => {
    const id = randomUUID();
    const earlier = await aws.send(new CreateFileSystemCommand({ CreationToken: id, Tags: [{ Key: 'osbkit:instance-id', Value: id }] }));
    const { osb } = startEfsBroker(emulator);
    const accepted = await provision(osb, id);
    expect((await finish(osb, id, accepted.body.operation)).final.body.state).toBe('succeeded');
    const fileSystem = (await fileSystemByToken(aws, id))!;
    expect(fileSystem.FileSystemId).toBe(earlier.FileSystemId);
    expect(tagsOf(fileSystem)).toEqual({ 'osbkit:instance-id': id, 'osbkit:space-guid': 'space-guid-1', 'osbkit:organization-guid': 'org-guid-1', Name: `osbkit-efs-${id}` });
  });

  test.each([
    ['tagged for another instance', [{ Key: 'osbkit:instance-id', Value: 'someone-else' }], 'is tagged for instance someone-else; it is not adopted'],
    ['without the instance tag', [], 'no osbkit:instance-id tag; it is not adopted'],
  ])('a file system with this CreationToken %s is neither adopted nor deleted', async (_case, tags, message) => {
    const id = randomUUID();
    await aws.send(new CreateFileSystemCommand({ CreationToken: id, Tags: tags }));
    const { osb } = startEfsBroker(emulator);
    const accepted = await provision(osb, id);
    const { final } = await finish(osb, id, accepted.body.operation);
    expect(final.body.state).toBe('failed');
    expect(final.body.description).toContain(message);
    // Nor does the delete of the failed instance touch it.
    const deleting = await deprovision(osb, id);
    const deleted = await finish(osb, id, deleting.body.operation);
    expect(deleted.final.body.state).toBe('failed');
    expect(deleted.final.body.description).toContain('does not delete a file system it cannot show it made');
    expect(await fileSystemByToken(aws, id)).toBeDefined();
  });

  test('the mount targets carry the configured security groups', async () => {
    // DescribeMountTargetSecurityGroups is not emulated: the emulator's state file is the witness.
    const dir = mkdtempSync(join(tmpdir(), 'osbkit-efs-sg-'));
    const recording = await startEmulator({ stateFile: join(dir, 'state.json') });
    try {
      const { osb } = startEfsBroker(recording, { securityGroupIds: `${SECURITY_GROUP},sg-0000000000000abcd` });
      const id = randomUUID();
      const accepted = await provision(osb, id);
      expect((await finish(osb, id, accepted.body.operation)).final.body.state).toBe('succeeded');
      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { mountTargets: Array<{ subnetId: string; securityGroups: string[] }> };
      expect(state.mountTargets.map((target) => [target.subnetId, target.securityGroups]).sort()).toEqual(
        SUBNETS.map((subnet) => [subnet, [SECURITY_GROUP, 'sg-0000000000000abcd']]),
      );
    } finally {
      await recording.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('update', () => {
  test('a maintenance_info upgrade succeeds and changes nothing on AWS; parameters are refused with 422 and leave the file system as it was', async () => {
    const { osb } = startEfsBroker(emulator);
    const id = randomUUID();
    const accepted = await provision(osb, id);
    expect((await finish(osb, id, accepted.body.operation)).final.body).toEqual({ state: 'succeeded' });
    const before = (await fileSystemByToken(aws, id))!;

    const update = (body: Record<string, unknown>) => osb.patch(`/v2/service_instances/${id}?accepts_incomplete=true`).send({
      service_id: EFS_SERVICE_ID, plan_id: GENERAL_PURPOSE, ...body,
    });
    const refused = await update({ parameters: { throughput_mode: 'elastic' } });
    expect(refused.status).toBe(422);
    expect(refused.body.description).toMatch(/no parameters to change/);
    expect(refused.body).toMatchObject({ instance_usable: true, update_repeatable: false });

    const upgraded = await update({ maintenance_info: { version: '1.0.0' } });
    expect([200, 202]).toContain(upgraded.status);
    if (upgraded.status === 202) expect((await finish(osb, id, upgraded.body.operation)).final.body).toEqual({ state: 'succeeded' });
    expect(await fileSystemByToken(aws, id)).toEqual(before);

    const deleting = await deprovision(osb, id);
    expect((await finish(osb, id, deleting.body.operation)).final.body).toEqual({ state: 'succeeded' });
  });
});

describe('deprovision', () => {
  test('deletes access points and mount targets, then the file system, and waits until it is gone', async () => {
    const { osb } = startEfsBroker(emulator);
    const id = randomUUID();
    const accepted = await provision(osb, id);
    expect((await finish(osb, id, accepted.body.operation)).final.body.state).toBe('succeeded');
    const fileSystemId = (await fileSystemByToken(aws, id))!.FileSystemId!;

    const refused = await deprovision(osb, id, { acceptsIncomplete: false });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('AsyncRequired');
    expect(await mountTargetsOf(aws, fileSystemId)).toHaveLength(2);

    const deleting = await deprovision(osb, id);
    expect(deleting.status).toBe(202);
    const { final, descriptions } = await finish(osb, id, deleting.body.operation);
    expect(final.body).toEqual({ state: 'succeeded' });
    expect(descriptions[0]).toBe('Step 1 of 4: deleting the access points of the file system.');
    expect(descriptions).toEqual(expect.arrayContaining([expect.stringMatching(/^Step 2 of 4: waiting for the mount targets of fs-[0-9a-f]+ to be deleted \(fsmt-[0-9a-f]+ deleting, fsmt-[0-9a-f]+ deleting\)/)]));
    expect(descriptions).toEqual(expect.arrayContaining([`Step 4 of 4: waiting for the file system ${fileSystemId} to be deleted (it is deleting).`]));
    expect(await fileSystemByToken(aws, id)).toBeUndefined();
    expect((await deprovision(osb, id)).status).toBe(410);
  });

  test('a delete during the provision halts it and removes what it had made', async () => {
    const slow = await startEmulator({ creationDelayMs: 1_500 });
    const slowAws = inspector(slow);
    try {
      const { osb } = startEfsBroker(slow);
      const id = randomUUID();
      const accepted = await provision(osb, id);
      expect(accepted.status).toBe(202);
      await finishWhen(async () => (await fileSystemByToken(slowAws, id)) !== undefined);
      const deleting = await deprovision(osb, id);
      expect(deleting.status).toBe(202);
      expect((await finish(osb, id, deleting.body.operation)).final.body.state).toBe('succeeded');
      expect((await osb.get(`/v2/service_instances/${id}/last_operation?operation=${accepted.body.operation}`)).body.description).toMatch(/halted/i);
      expect(await fileSystemByToken(slowAws, id)).toBeUndefined();
    } finally {
      slowAws.destroy();
      await slow.close();
    }
  });
});

describe('AWS throttling and 500s', () => {
  test('provision and deprovision complete while 20% of requests are throttled and 10% fail with 500', async () => {
    const { osb } = startEfsBroker(emulator, { maxAttempts: 3 });
    emulator.setFaults({ throttleRate: 0.2, errorRate: 0.1 });
    const before = emulator.stats();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const run = async (id: string): Promise<void> => {
      const accepted = await provision(osb, id);
      expect(accepted.status).toBe(202);
      expect((await finish(osb, id, accepted.body.operation)).final.body).toEqual({ state: 'succeeded' });
      const deleting = await deprovision(osb, id);
      expect(deleting.status).toBe(202);
      expect((await finish(osb, id, deleting.body.operation)).final.body).toEqual({ state: 'succeeded' });
    };
    await Promise.all(ids.map(run));
    const after = emulator.stats();
    expect(after.throttled - before.throttled).toBeGreaterThan(0);
    expect(after.failed - before.failed).toBeGreaterThan(0);
    emulator.setFaults({ throttleRate: 0, errorRate: 0 });
    for (const id of ids) expect(await fileSystemByToken(aws, id)).toBeUndefined();
  });
});

async function finishWhen(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
