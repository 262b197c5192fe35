import { ThrottlingException, SubnetNotFound, FileSystemNotFound } from '@aws-sdk/client-efs';
import { awsFailure, createEfsClient, efsBrokerConfig, EfsConfigError, efsMountConfig, failureKind, resolveEfsConfig, waitSeconds } from '../../../brokers/efs';

/** Start-up configuration, AWS failure classes, waits and mount configs. */

const complete = { region: 'us-east-1', subnetIds: 'subnet-0123456789abcdef0,subnet-00000002', securityGroupIds: 'sg-0123456789abcdef0' };

function configError(config: Parameters<typeof resolveEfsConfig>[0]): string {
  try {
    resolveEfsConfig(config);
  } catch (error) {
    if (error instanceof EfsConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('configuration', () => {
  test('a complete configuration, with the defaults', () => {
    expect(resolveEfsConfig(complete)).toEqual({
      region: 'us-east-1',
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-00000002'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      driver: 'nfsv3driver',
      maxAttempts: 6,
      waits: { initialMs: 1000, maxMs: 15000 },
    });
    expect(resolveEfsConfig({ ...complete, endpoint: 'http://127.0.0.1:4566', nfsExport: 'nfs://127.0.0.1/var/lib/osbkit-nfs/export/efs' })).toMatchObject({
      endpoint: 'http://127.0.0.1:4566',
      nfsExport: { host: '127.0.0.1', path: '/var/lib/osbkit-nfs/export/efs' },
    });
  });

  test('nothing configured: every missing piece named at once', () => {
    const message = configError({});
    expect(message).toContain('--region (or OSBKIT_EFS_REGION or AWS_REGION) is required');
    expect(message).toContain('--subnet-ids (or OSBKIT_EFS_SUBNET_IDS) is required');
    expect(message).toContain('--security-group-ids (or OSBKIT_EFS_SECURITY_GROUP_IDS) is required');
  });

  test.each([
    [{ region: 'Virginia' }, '--region "Virginia" is not an AWS region name'],
    [{ subnetIds: 'subnet-1' }, '"subnet-1" is not a subnet id'],
    [{ subnetIds: 'subnet-00000001,,subnet-00000002' }, '--subnet-ids has an empty entry'],
    [{ subnetIds: 'subnet-00000001,subnet-00000001' }, '--subnet-ids names subnet-00000001 more than once'],
    [{ securityGroupIds: 'default' }, '"default" is not a security group id'],
    [{ securityGroupIds: Array.from({ length: 6 }, (_, i) => `sg-0000000${i}`).join(',') }, 'AWS allows at most 5 per mount target'],
    [{ endpoint: 'ftp://x' }, '--endpoint "ftp://x" must be an http:// or https:// URL'],
    [{ endpoint: 'http://user:pw@x' }, 'without credentials'],
    [{ nfsExport: 'nfs://127.0.0.1/export?uid=0' }, 'must have no query'],
    [{ nfsExport: 'nfs://127.0.0.1/' }, 'must name a directory below the export root'],
    [{ nfsExport: 'nfs://127.0.0.1/exp ort' }, '--nfs-export'],
    [{ nfsExport: '127.0.0.1:/export' }, 'must be an nfs://host/path URL'],
    [{ driver: '../x' }, '--driver "../x" is not a volume driver name'],
    [{ maxAttempts: 0 }, '--max-attempts must be a whole number from 1 to 20'],
    [{ waitInitialMs: 5 }, '--wait-initial-ms must be at least 10'],
    [{ waitInitialMs: 500, waitMaxMs: 100 }, '--wait-max-ms must be at least --wait-initial-ms'],
  ])('%j is refused: %s', (change, message) => {
    expect(configError({ ...complete, ...change })).toContain(message);
  });

  test('flags first, then OSBKIT_EFS_*, then AWS_REGION; empty values count as unset', () => {
    const env = { OSBKIT_EFS_SUBNET_IDS: 'subnet-00000009', OSBKIT_EFS_SECURITY_GROUP_IDS: ' ', AWS_REGION: 'eu-west-1', OSBKIT_EFS_ENDPOINT: 'http://e' };
    expect(efsBrokerConfig({ subnetIds: 'subnet-00000001' }, env)).toEqual({ subnetIds: 'subnet-00000001', region: 'eu-west-1', endpoint: 'http://e' });
    expect(efsBrokerConfig({}, { ...env, OSBKIT_EFS_REGION: 'eu-central-1' })).toMatchObject({ subnetIds: 'subnet-00000009', region: 'eu-central-1' });
  });
});

describe('AWS failures', () => {
  const metadata = (status: number) => ({ httpStatusCode: status, attempts: 3 });

  test('throttling, 5xx and broken connections are transient (503, retried); refusals are 422 with AWS\'s words', () => {
    const throttled = new ThrottlingException({ message: 'Rate exceeded', $metadata: metadata(429) });
    expect(failureKind(throttled)).toBe('transient');
    expect(awsFailure('CreateAccessPoint on fs-1', throttled)).toMatchObject({ status: 503, description: 'AWS EFS did not complete CreateAccessPoint on fs-1 (ThrottlingException: Rate exceeded); it will be tried again.' });

    const internal = Object.assign(new Error('We encountered an internal error.'), { name: 'InternalServerError', $metadata: metadata(500) });
    expect(failureKind(internal)).toBe('transient');
    const refusedConnection = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(failureKind(refusedConnection)).toBe('transient');
    expect(failureKind(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toBe('transient');

    const missing = new SubnetNotFound({ ErrorCode: 'SubnetNotFound', message: "The subnet ID 'subnet-0000dead' does not exist", $metadata: metadata(400) });
    expect(failureKind(missing)).toBe('refused');
    expect(awsFailure('CreateMountTarget in subnet-0000dead', missing)).toMatchObject({
      status: 422,
      description: "AWS EFS refused CreateMountTarget in subnet-0000dead: SubnetNotFound: The subnet ID 'subnet-0000dead' does not exist",
    });
    const denied = Object.assign(new Error('User is not authorized to perform: elasticfilesystem:CreateFileSystem'), { name: 'AccessDeniedException', $metadata: metadata(403) });
    expect(failureKind(denied)).toBe('refused');
    expect(failureKind(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }))).toBe('refused');
    expect(failureKind(new FileSystemNotFound({ ErrorCode: 'FileSystemNotFound', message: 'gone', $metadata: metadata(404) }))).toBe('refused');
  });

  test('a bug is neither: it stays itself, so the SDK logs it and shows nothing', () => {
    expect(failureKind(new TypeError('x is undefined'))).toBeUndefined();
    expect(awsFailure('X', new TypeError('x'))).toBeUndefined();
    expect(failureKind('text')).toBeUndefined();
  });

  test('a long AWS message is cut', () => {
    const long = new SubnetNotFound({ ErrorCode: 'SubnetNotFound', message: 'x'.repeat(2000), $metadata: metadata(400) });
    expect(awsFailure('X', long)!.description.length).toBeLessThan(600);
  });
});

test('waits double from the first to the most', () => {
  const policy = { initialMs: 1000, maxMs: 15000 };
  expect([0, 1, 2, 3, 4, 5, 60].map((waits) => waitSeconds(policy, waits))).toEqual([1, 2, 4, 8, 15, 15, 15]);
});

describe('mount configs', () => {
  const base = { instanceId: 'i-1', fileSystemId: 'fs-0123456789abcdef0', region: 'us-east-1', accessPointId: 'fsap-0123456789abcdef0', rootPath: '/shared', uid: 1000, gid: 1000, readonly: false, driver: 'nfsv3driver' };

  test('AWS: the file system DNS name, NFSv4.1, TLS, the access point (China regions under amazonaws.com.cn)', () => {
    expect(efsMountConfig(base)).toEqual({
      access_point: 'fsap-0123456789abcdef0', gid: '1000', source: 'nfs://fs-0123456789abcdef0.efs.us-east-1.amazonaws.com/', tls: 'true', uid: '1000', version: '4.1',
    });
    expect(Object.keys(efsMountConfig(base))).toEqual(['access_point', 'gid', 'source', 'tls', 'uid', 'version']);
    expect(efsMountConfig({ ...base, region: 'cn-north-1' }).source).toBe('nfs://fs-0123456789abcdef0.efs.cn-north-1.amazonaws.com.cn/');
  });

  test('the emulator on an NFS export: only the keys the NFS driver takes: the root directory itself, the identity, NFSv3, read-only when asked; IPv6 hosts in brackets', () => {
    const nfsExport = { host: '127.0.0.1', path: '/var/lib/osbkit-nfs/export/efs' };
    expect(efsMountConfig({ ...base, readonly: true, nfsExport })).toEqual({
      gid: '1000', readonly: 'true', source: 'nfs://127.0.0.1/var/lib/osbkit-nfs/export/efs/fs-0123456789abcdef0/shared', uid: '1000', version: '3',
    });
    expect(efsMountConfig({ ...base, rootPath: '/', nfsExport: { host: 'fd00::5', path: '/e' } }).source).toBe('nfs://[fd00::5]/e/fs-0123456789abcdef0');
  });
});

test('the client: credentials from the default chain (here the environment), the standard retry strategy with the configured attempts, no instance metadata', async () => {
  const saved = { ...process.env };
  process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret-from-env';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
  const client = createEfsClient({ region: 'us-east-1', maxAttempts: 4, connectTimeoutMs: 1000, requestTimeoutMs: 2000 });
  try {
    const credentials = await client.config.credentials();
    expect([credentials.accessKeyId, credentials.secretAccessKey]).toEqual(['AKIDFROMENV', 'secret-from-env']);
    expect(await client.config.maxAttempts()).toBe(4);
    expect(await client.config.retryStrategy()).toMatchObject({ mode: 'standard' });
  } finally {
    client.destroy();
    process.env = saved;
  }
});
