import request from 'supertest';
import type { LogSubscription } from '../../../platform/cell/cell';
import { silentCellLogger } from '../../../platform/cell/logger';
import { createCellApp, type CellApi } from '../../../platform/cell/server';
import type { AppStatus, CellHealth, DesiredLrp, LogLine } from '../../../platform/cell/types';

const GUID = 'a8b3c6d0-1111-4222-8333-944445555666';

/** A cell that knows one app and records what it was asked. */
class FakeCell implements CellApi {
  readonly desired: Array<{ appGuid: string; lrp: DesiredLrp }> = [];
  failNextStatus = false;
  private readonly line: LogLine = { timestamp: '2024-01-01T00:00:00.000Z', appGuid: GUID, instanceIndex: 0, source: 'OUT', message: 'hello' };

  desire(appGuid: string, lrp: DesiredLrp): AppStatus {
    this.desired.push({ appGuid, lrp });
    return { appGuid, name: lrp.name, instances: [] };
  }

  async stop(appGuid: string): Promise<boolean> {
    return appGuid === GUID;
  }

  status(appGuid: string): AppStatus | undefined {
    if (this.failNextStatus) throw new Error('secret detail /root/.ssh');
    return appGuid === GUID ? { appGuid, name: 'web', instances: [] } : undefined;
  }

  logs(appGuid: string): LogSubscription | undefined {
    return appGuid === GUID ? { recent: [this.line], close: () => undefined } : undefined;
  }

  health(): CellHealth {
    return { status: 'ok', isolation: 'none', apps: 1 };
  }
}

const body = { name: 'web', command: 'node server.js', env: {}, instances: 1, volumeMounts: [] };
const SECRET = 'the-cell-api-secret-0123456789abcdef';

describe('cell HTTP API', () => {
  let cell: FakeCell;
  let app: ReturnType<typeof createCellApp>;
  let http: ReturnType<typeof request.agent>;
  beforeEach(() => {
    cell = new FakeCell();
    app = createCellApp(cell, silentCellLogger, { apiSecret: SECRET });
    http = request.agent(app).set('authorization', `Bearer ${SECRET}`);
  });

  it.each([
    ['no Authorization header', undefined],
    ['another secret', 'Bearer the-cell-api-secret-0123456789abcdeX'],
    ['the secret as Basic credentials', `Basic ${SECRET}`],
  ])('answers 401 to a request with %s, before reading its body', async (_case, authorization) => {
    const put = request(app).put(`/v1/apps/${GUID}`);
    if (authorization !== undefined) put.set('authorization', authorization);
    const response = await put.set('content-type', 'application/json').send('{"not json');
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'Unauthorized', description: expect.stringContaining('Authorization: Bearer') });
    expect(cell.desired).toEqual([]);
    expect((await request(app).get('/v1/health')).status).toBe(401);
  });

  it('refuses to build an API with a short secret', () => {
    expect(() => createCellApp(cell, silentCellLogger, { apiSecret: 'short' })).toThrow('at least 32 characters');
  });

  it('desires an app with a valid body', async () => {
    const response = await http.put(`/v1/apps/${GUID}`).send(body).expect(202);
    expect(response.body).toEqual({ appGuid: GUID, name: 'web', instances: [] });
    expect(cell.desired).toEqual([{ appGuid: GUID, lrp: { ...body, egress: [] } }]);
  });

  it.each([
    ['a missing command', { ...body, command: undefined }, 'command'],
    ['a string instance count', { ...body, instances: '2' }, 'instances'],
    ['a bad volume mode', { ...body, volumeMounts: [{ driver: 'd', volumeId: 'v', mountConfig: {}, containerDir: '/data', mode: 'x' }] }, 'volumeMounts[0].mode'],
    ['an array body', [body], 'body'],
  ])('answers 400 naming the field for %s', async (_case, invalid, field) => {
    const response = await http.put(`/v1/apps/${GUID}`).send(invalid as object).expect(400);
    expect(response.body).toMatchObject({ error: 'InvalidField', field });
    expect(response.body.description).toContain(field);
    expect(cell.desired).toEqual([]);
  });

  it('answers 400 for malformed JSON', async () => {
    const response = await http.put(`/v1/apps/${GUID}`).set('content-type', 'application/json').send('{"name":').expect(400);
    expect(response.body).toEqual({ error: 'InvalidJson', description: 'the request body is not valid JSON', field: 'body' });
  });

  it('answers 400 naming the limit for a body nested deeper than 64 levels, and desires nothing', async () => {
    const deep = JSON.stringify({ ...body, env: {} }).replace('"env":{}', `"env":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`);
    const response = await http.put(`/v1/apps/${GUID}`).set('content-type', 'application/json').send(deep).expect(400);
    expect(response.body).toEqual({ error: 'InvalidJson', description: 'the request body nests objects and arrays more than 64 levels deep, which is the limit', field: 'body' });
    expect(cell.desired).toEqual([]);
  });

  it('answers 400 for a body that is not JSON at all', async () => {
    const response = await http.put(`/v1/apps/${GUID}`).set('content-type', 'text/plain').send('hello').expect(400);
    expect(response.body).toMatchObject({ field: 'body' });
  });

  it('answers 400 for an invalid guid', async () => {
    const response = await http.put('/v1/apps/..%2Fetc').send(body).expect(400);
    expect(response.body).toMatchObject({ field: 'guid' });
  });

  it.each([
    ['GET', `/v1/apps/unknown-app`],
    ['DELETE', `/v1/apps/unknown-app`],
    ['GET', `/v1/apps/unknown-app/logs?recent=true`],
    ['GET', `/v1/apps/unknown-app/logs?follow=true`],
  ])('answers 404 for %s %s of an unknown app', async (method, path) => {
    const response = await http[method === 'GET' ? 'get' : 'delete'](path).expect(404);
    expect(response.body).toMatchObject({ error: 'NotFound' });
  });

  it('answers status, logs and stop for a known app', async () => {
    await http.get(`/v1/apps/${GUID}`).expect(200, { appGuid: GUID, name: 'web', instances: [] });
    const logs = await http.get(`/v1/apps/${GUID}/logs?recent=true`).expect(200);
    expect(logs.body).toEqual([expect.objectContaining({ message: 'hello', source: 'OUT' })]);
    await http.delete(`/v1/apps/${GUID}`).expect(204);
  });

  it('rejects a recent flag that is not a boolean', async () => {
    const response = await http.get(`/v1/apps/${GUID}/logs?recent=yes`).expect(400);
    expect(response.body).toMatchObject({ field: 'recent' });
  });

  it('reports health', async () => {
    await http.get('/v1/health').expect(200, { status: 'ok', isolation: 'none', apps: 1 });
  });

  it('answers 404 JSON for unknown routes', async () => {
    const response = await http.get('/v2/whatever').expect(404);
    expect(response.body).toMatchObject({ error: 'NotFound' });
  });

  it('hides the details of unexpected errors', async () => {
    cell.failNextStatus = true;
    const response = await http.get(`/v1/apps/${GUID}`).expect(500);
    expect(response.body).toEqual({ error: 'InternalError', description: 'internal error' });
    expect(JSON.stringify(response.body)).not.toContain('ssh');
  });
});
