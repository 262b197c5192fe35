import { randomUUID } from 'node:crypto';
import {
  DescribeAccessPointsCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
  type AccessPointDescription,
  type FileSystemDescription,
  type MountTargetDescription,
} from '@aws-sdk/client-efs';
import type request from 'supertest';
import { createEfsBroker, efsCatalogPath, type EfsBrokerConfig, type EfsVolumeBroker } from '../../../brokers/efs';
import { startEfsEmulator, type EfsEmulatorOptions, type RunningEfsEmulator } from '../../../platform/efs-emulator';
import { startBroker, waitFor, type Osb, type TestBroker } from '../../support/osb-harness';

/**
 * The EFS broker in-process over its real catalog, talking through the real AWS SDK to the
 * EFS emulator, and the requests a platform sends it. Credentials come from the default chain,
 * as in production: dummy keys in the environment, instance metadata switched off.
 */

export const EFS_SERVICE_ID = '4d5d6953-337d-47d7-ab08-a1aff5158b15';
export const GENERAL_PURPOSE = '07cd41a7-a219-4216-b348-919cc5a36df3';
export const MAX_IO = '3a608091-7efd-44fc-bb78-dfa42a3c780a';
export const SECURITY_GROUP = 'sg-0123456789abcdef0';
export const SUBNETS = ['subnet-00000001', 'subnet-00000002'];

export function useDummyAwsCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDOSBKITTEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'osbkit-test-dummy-secret';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

export async function startEmulator(options: EfsEmulatorOptions = {}): Promise<RunningEfsEmulator> {
  return startEfsEmulator({ creationDelayMs: 200, deletionDelayMs: 200, ...options });
}

/** What the test looks at AWS through: its own client, never the broker's. */
export function inspector(emulator: RunningEfsEmulator): EFSClient {
  return new EFSClient({ region: emulator.region, endpoint: emulator.url, maxAttempts: 10 });
}

export function startEfsBroker(emulator: RunningEfsEmulator, config: Partial<EfsBrokerConfig> = {}): TestBroker<EfsVolumeBroker> {
  const broker = createEfsBroker({
    region: emulator.region,
    endpoint: emulator.url,
    subnetIds: SUBNETS.join(','),
    securityGroupIds: SECURITY_GROUP,
    waitInitialMs: 50,
    waitMaxMs: 200,
    ...config,
  });
  return startBroker<EfsVolumeBroker>({ broker, catalog: efsCatalogPath });
}

export const provision = (osb: Osb, instanceId: string, options: { planId?: string; parameters?: Record<string, unknown>; acceptsIncomplete?: boolean; context?: Record<string, unknown> } = {}) =>
  osb.put(`/v2/service_instances/${instanceId}${options.acceptsIncomplete === false ? '' : '?accepts_incomplete=true'}`).send({
    service_id: EFS_SERVICE_ID,
    plan_id: options.planId ?? GENERAL_PURPOSE,
    organization_guid: 'org-guid-1',
    space_guid: 'space-guid-1',
    context: options.context ?? { platform: 'cloudfoundry', organization_guid: 'org-guid-1', space_guid: 'space-guid-1', instance_name: 'files' },
    parameters: options.parameters ?? {},
  });

export const deprovision = (osb: Osb, instanceId: string, options: { planId?: string; acceptsIncomplete?: boolean } = {}) =>
  osb.delete(`/v2/service_instances/${instanceId}?service_id=${EFS_SERVICE_ID}&plan_id=${options.planId ?? GENERAL_PURPOSE}${options.acceptsIncomplete === false ? '' : '&accepts_incomplete=true'}`);

export const bind = (osb: Osb, instanceId: string, bindingId: string, parameters: Record<string, unknown>, options: { planId?: string; acceptsIncomplete?: boolean; appGuid?: string } = {}) =>
  osb.put(`/v2/service_instances/${instanceId}/service_bindings/${bindingId}${options.acceptsIncomplete ? '?accepts_incomplete=true' : ''}`).send({
    service_id: EFS_SERVICE_ID,
    plan_id: options.planId ?? GENERAL_PURPOSE,
    bind_resource: { app_guid: options.appGuid ?? randomUUID() },
    parameters,
  });

export const unbind = (osb: Osb, instanceId: string, bindingId: string, planId = GENERAL_PURPOSE) =>
  osb.delete(`/v2/service_instances/${instanceId}/service_bindings/${bindingId}?service_id=${EFS_SERVICE_ID}&plan_id=${planId}`);

/** Polls the instance's last_operation until it ends; returns the final answer and every description seen on the way. */
export async function finish(osb: Osb, instanceId: string, operation: string, timeoutMs = 30_000): Promise<{ final: request.Response; descriptions: string[] }> {
  const descriptions: string[] = [];
  let final: request.Response | undefined;
  await waitFor(
    async () => {
      const answer = await osb.get(`/v2/service_instances/${instanceId}/last_operation?operation=${encodeURIComponent(operation)}`);
      if (answer.status === 200 && typeof answer.body.description === 'string' && descriptions.at(-1) !== answer.body.description) descriptions.push(answer.body.description);
      if (answer.status === 410 || (answer.status === 200 && answer.body.state !== 'in progress')) {
        final = answer;
        return true;
      }
      return false;
    },
    `operation ${operation} of ${instanceId} to end`,
    timeoutMs,
  );
  return { final: final!, descriptions };
}

export async function fileSystemByToken(client: EFSClient, token: string): Promise<FileSystemDescription | undefined> {
  const answer = await client.send(new DescribeFileSystemsCommand({ CreationToken: token }));
  return answer.FileSystems?.[0];
}

export async function mountTargetsOf(client: EFSClient, fileSystemId: string): Promise<MountTargetDescription[]> {
  return (await client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets ?? [];
}

export async function accessPointsOf(client: EFSClient, fileSystemId: string): Promise<AccessPointDescription[]> {
  return (await client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId }))).AccessPoints ?? [];
}

export function tagsOf(resource: { Tags?: { Key?: string; Value?: string }[] }): Record<string, string> {
  return Object.fromEntries((resource.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}
