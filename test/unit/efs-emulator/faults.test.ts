import { CreateAccessPointCommand, CreateFileSystemCommand, DescribeFileSystemsCommand, InternalServerError, ThrottlingException } from '@aws-sdk/client-efs';
import { FAKE_SIGNATURE, rawRequest, sdkError, startFixture, type EmulatorFixture } from './support';

let fixture: EmulatorFixture;
afterEach(async () => {
  await fixture.close();
});

/** The SDK's own standard retry strategy, as the broker will use it; it backs off throttling from 500 ms on, so few calls keep the test short. */
const retrying = { maxAttempts: 10 };

it('with a 50% throttle rate, calls fail with ThrottlingException when the SDK may not retry', async () => {
  fixture = await startFixture({ throttleRate: 0.5, seed: 7 });
  const outcomes: string[] = [];
  for (let i = 0; i < 20; i += 1) {
    try {
      await fixture.client.send(new DescribeFileSystemsCommand({}));
      outcomes.push('ok');
    } catch (error) {
      if (!(error instanceof ThrottlingException)) throw error;
      expect(error.$metadata.httpStatusCode).toBe(400);
      expect(error.$metadata.attempts).toBe(1);
      expect(error.ErrorCode).toBe('ThrottlingException');
      outcomes.push('throttled');
    }
  }
  expect(outcomes).toContain('ok');
  expect(outcomes).toContain('throttled');
  expect(fixture.emulator.stats().throttled).toBe(outcomes.filter((o) => o === 'throttled').length);
});

it('with a 50% throttle rate, every call succeeds when the SDK retries (maxAttempts > 1)', async () => {
  fixture = await startFixture({ throttleRate: 0.5, seed: 2 });
  const client = fixture.clientWith(retrying);
  const ids: string[] = [];
  let retried = 0;
  for (let i = 0; i < 6; i += 1) {
    const created = await client.send(new CreateFileSystemCommand({ CreationToken: `retry-${i}` }));
    ids.push(created.FileSystemId!);
    if ((created.$metadata.attempts ?? 1) > 1) retried += 1;
  }
  expect(new Set(ids).size).toBe(6);
  expect(retried).toBeGreaterThan(0);
  expect(fixture.emulator.stats().throttled).toBeGreaterThan(0);
  // A throttled request changed nothing: exactly the six exist.
  fixture.emulator.setFaults({ throttleRate: 0 });
  expect((await fixture.client.send(new DescribeFileSystemsCommand({}))).FileSystems).toHaveLength(6);
}, 60_000);

it('throttles CreateAccessPoint with 429, as EFS models it there', async () => {
  fixture = await startFixture();
  const fs = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'ap' }));
  fixture.emulator.setFaults({ throttleRate: 1 });
  const error = await sdkError(fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fs.FileSystemId })), ThrottlingException);
  expect(error.$metadata.httpStatusCode).toBe(429);
});

it('answers the error rate with 500 InternalServerError, which the SDK retries', async () => {
  fixture = await startFixture({ errorRate: 1 });
  const error = await sdkError(fixture.client.send(new DescribeFileSystemsCommand({})), InternalServerError);
  expect(error.$metadata.httpStatusCode).toBe(500);
  expect(error.$fault).toBe('server');
  const retrying = fixture.clientWith({ maxAttempts: 3 });
  const retried = await sdkError(retrying.send(new DescribeFileSystemsCommand({})), InternalServerError);
  expect(retried.$metadata.attempts).toBe(3);
  fixture.emulator.setFaults({ errorRate: 0 });
  expect((await fixture.client.send(new DescribeFileSystemsCommand({}))).$metadata.httpStatusCode).toBe(200);
  expect(fixture.emulator.stats().failed).toBe(4);
}, 30_000);

it('draws the same faults for the same seed', async () => {
  const sequence = async (seed: number): Promise<number[]> => {
    const run = await startFixture({ throttleRate: 0.3, errorRate: 0.2, seed });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i += 1) statuses.push((await rawRequest(run.emulator.url, 'GET', '/2015-02-01/file-systems', { headers: FAKE_SIGNATURE })).status);
      return statuses;
    } finally {
      await run.close();
    }
  };
  const first = await sequence(42);
  fixture = await startFixture();
  expect(await sequence(42)).toEqual(first);
  expect(new Set(first)).toEqual(new Set([200, 400, 500]));
  expect(await sequence(43)).not.toEqual(first);
});

it('adds the configured latency to every request', async () => {
  fixture = await startFixture({ latencyMs: 300 });
  const started = Date.now();
  await fixture.client.send(new DescribeFileSystemsCommand({}));
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);
});

it('refuses fault settings outside their ranges', async () => {
  fixture = await startFixture();
  expect(() => fixture.emulator.setFaults({ throttleRate: 1.5 })).toThrow(/throttleRate must be a fraction/);
  expect(() => fixture.emulator.setFaults({ throttleRate: 0.6, errorRate: 0.6 })).toThrow(/together must not exceed 1/);
  expect(() => fixture.emulator.setFaults({ latencyMs: -1 })).toThrow(/latencyMs/);
  await expect(startFixture({ errorRate: -0.1 })).rejects.toThrow(/errorRate must be a fraction/);
});
