import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_APP_GID, DEFAULT_APP_UID } from '../../../platform/cell/cell';
import { CellApiError, CellClient } from '../../../platform/cell/client';
import { startCell, type RunningCell } from '../../../platform/cell/main';
import type { LogLine } from '../../../platform/cell/types';
import { CaptureLogger } from './helpers/capture-logger';
import { FakeVolumeDrivers } from './helpers/fake-drivers';
import { canUseNamespaces, eventually, forceCleanup, livePidsMatching } from './helpers/host';

jest.setTimeout(60_000);

const isolation = canUseNamespaces() ? 'namespaces' : 'none';

describe(`cell HTTP API and client (isolation ${isolation})`, () => {
  const marker = `osbkit-api-test-${randomBytes(4).toString('hex')}`;
  const appGuid = '6f1d3a52-8c1e-4b7f-9d2a-0e5b7c9a1f34';
  let root: string;
  let running: RunningCell;
  let client: CellClient;
  let drivers: FakeVolumeDrivers;
  const logger = new CaptureLogger();
  const apiSecret = randomBytes(32).toString('base64url');
  const authorization = { authorization: `Bearer ${apiSecret}` };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'osbkit-cell-api-'));
    chmodSync(root, 0o755);
    drivers = new FakeVolumeDrivers(join(root, 'drivers'), { owner: { uid: DEFAULT_APP_UID, gid: DEFAULT_APP_GID } });
    running = await startCell({ dataDir: join(root, 'cell'), port: 0, drivers, logger, isolation, convergeIntervalMs: 200, stopGraceMs: 2_000, apiSecret });
    client = new CellClient(running.url, { apiSecret });
  });

  afterAll(async () => {
    await running?.close();
    forceCleanup(root, marker);
  });

  it('listens on loopback only', () => {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses to bind a non-loopback address', async () => {
    await expect(startCell({ dataDir: join(root, 'other'), port: 0, host: '0.0.0.0', drivers, logger: new CaptureLogger(), apiSecret })).rejects.toThrow('loopback');
  });

  it('refuses to start with a short API secret', async () => {
    await expect(startCell({ dataDir: join(root, 'short'), port: 0, drivers, logger: new CaptureLogger(), apiSecret: 'too-short' })).rejects.toThrow('at least 32 characters');
  });

  it('without the API secret, a PUT naming another tenant\'s volume is refused with 401, and nothing is mounted or started', async () => {
    const victim = 'b7e0c3a1-2222-4333-8444-955566667777';
    const lrp = {
      name: 'thief',
      command: `: ${marker}; cat /data/stolen/secret.txt; while true; do sleep 1; done`,
      env: {},
      instances: 1,
      volumeMounts: [{ driver: 'fakedriver', volumeId: 'another-tenants-volume', mountConfig: {}, containerDir: '/data/stolen', mode: 'rw' }],
    };
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong-secret-of-the-same-length-but-not-it' }, { authorization: `Basic ${Buffer.from(`x:${apiSecret}`).toString('base64')}` }, { authorization: `Bearer ${apiSecret}x` }];
    for (const headers of attempts) {
      const response = await fetch(`${running.url}/v1/apps/${victim}`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(lrp) });
      expect(response.status).toBe(401);
      await expect(response.json()).resolves.toMatchObject({ error: 'Unauthorized' });
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="osbkit-cell"');
    }
    for (const [method, path] of [['GET', '/v1/health'], ['GET', `/v1/apps/${victim}`], ['DELETE', `/v1/apps/${victim}`], ['GET', `/v1/apps/${victim}/logs`]] as const) {
      expect([method, path, (await fetch(`${running.url}${path}`, { method })).status]).toEqual([method, path, 401]);
    }
    expect(drivers.mounts.filter((call) => JSON.stringify(call).includes('another-tenants-volume'))).toEqual([]);
    expect(drivers.active()).toEqual([]);
    await expect(client.status(victim)).resolves.toBeUndefined();
    expect(livePidsMatching(marker)).toEqual([]);
    expect(logger.messages('warn')).toContain('refused a cell API request without the API secret');
    expect(JSON.stringify(logger.entries)).not.toContain(apiSecret);
    expect(JSON.stringify(logger.entries)).not.toContain('wrong-secret-of-the-same-length');
  });

  it('reports health', async () => {
    await expect(client.health()).resolves.toEqual({ status: 'ok', isolation, apps: 0 });
  });

  it('desires an app, reports its status and its logs, and stops it', async () => {
    const accepted = await client.desire(appGuid, {
      name: 'api-app',
      command: `: ${marker}; echo "hello from $INSTANCE_INDEX"; echo oops >&2; while true; do sleep 1; done`,
      env: {},
      instances: 2,
      volumeMounts: [{ driver: 'fakedriver', volumeId: 'api-vol', mountConfig: {}, containerDir: '/data/api', mode: 'r' }],
    });
    expect(accepted.appGuid).toBe(appGuid);
    expect(accepted.instances.map((instance) => instance.index)).toEqual([0, 1]);

    const status = await eventually('both instances to run', async () => {
      const current = await client.status(appGuid);
      return current?.instances.every((instance) => instance.state === 'running') === true ? current : undefined;
    });
    expect(status.instances.map((instance) => instance.pid)).toEqual([expect.any(Number), expect.any(Number)]);

    const logs = await eventually('both instances to log', async () => {
      const lines = await client.recentLogs(appGuid);
      const greetings = lines.filter((line) => line.source === 'OUT' && line.message.startsWith('hello from'));
      return greetings.length === 2 ? lines : undefined;
    });
    expect(logs.filter((line) => line.source === 'OUT').map((line) => line.instanceIndex).sort()).toEqual([0, 1]);
    expect(logs.find((line) => line.source === 'ERR')).toMatchObject({ appGuid, message: 'oops' });
    expect(Number.isNaN(Date.parse(logs[0]?.timestamp ?? ''))).toBe(false);

    await expect(client.stop(appGuid)).resolves.toBe(true);
    await expect(client.status(appGuid)).resolves.toBeUndefined();
    await expect(client.stop(appGuid)).resolves.toBe(false);
    expect(livePidsMatching(marker)).toEqual([]);
    expect(drivers.active()).toEqual([]);
  });

  it('follows logs as they are written', async () => {
    const guid = 'follow-app';
    await client.desire(guid, { name: 'ticker', command: `: ${marker}; i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.1; done`, env: {}, instances: 1, volumeMounts: [] });
    const controller = new AbortController();
    const seen: LogLine[] = [];
    const following = client.followLogs(
      guid,
      (line) => {
        seen.push(line);
        if (seen.filter((entry) => entry.message.startsWith('tick')).length >= 3) controller.abort();
      },
      { signal: controller.signal },
    );
    await following;
    expect(seen.filter((entry) => entry.message.startsWith('tick')).length).toBeGreaterThanOrEqual(3);
    await client.stop(guid);
  });

  it('answers 400 with the bad field, as a typed error', async () => {
    const invalid = { name: 'bad', command: 'true', env: {}, instances: 1, volumeMounts: [{ driver: 'd', volumeId: 'v', mountConfig: {}, containerDir: '/proc/x', mode: 'rw' as const }] };
    const error = await client.desire('bad-app', invalid).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CellApiError);
    expect(error).toMatchObject({ status: 400, code: 'InvalidField', field: 'volumeMounts[0].containerDir' });
  });

  it('answers 400 for a body that is not JSON and 404 for an unknown app', async () => {
    const badJson = await fetch(`${running.url}/v1/apps/x`, { method: 'PUT', headers: { 'content-type': 'application/json', ...authorization }, body: '{' });
    expect(badJson.status).toBe(400);
    await expect(badJson.json()).resolves.toMatchObject({ error: 'InvalidJson' });
    const unknown = await fetch(`${running.url}/v1/apps/never-desired`, { headers: authorization });
    expect(unknown.status).toBe(404);
    await expect(unknown.json()).resolves.toMatchObject({ error: 'NotFound' });
    await expect(client.recentLogs('never-desired')).rejects.toMatchObject({ status: 404 });
  });
});
