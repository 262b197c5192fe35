import express from 'express';
import request from 'supertest';
import { SqliteStore } from '../../../sdk';
import { DEFAULT_JSON_DEPTH_LIMIT, exceedsJsonDepth } from '../../../sdk/json';
import { PLAN_SMALL, SERVICE_ID } from '../../support/fixtures';
import { CREDENTIALS, closeBrokers, paths, provisionBody, startBroker, type Osb } from '../../support/osb-harness';

/**
 * Request bodies nested deeper than the limit are refused with 400 before anything reads
 * them, so no store write (JSON.stringify, which recurses) and no repeat check (canonicalJson,
 * which recurses) ever meets one; and a body at the limit keeps working afterwards.
 */

/** `{"a":{"a":...{}...}}` with `levels` objects, as JSON text. */
function nestedText(levels: number): string {
  return `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
}

/** A provision body as text whose `context` holds `levels` nested objects below its own. */
function provisionWithDeepContext(levels: number): string {
  const context = `{"platform":"cloudfoundry","deep":${nestedText(levels)}}`;
  const body = JSON.stringify(provisionBody({ context: '__CONTEXT__' }));
  return body.replace('"__CONTEXT__"', context);
}

function send(osb: Osb, method: 'put' | 'patch', path: string, text: string) {
  return osb[method](path).set('content-type', 'application/json').send(text);
}

afterEach(closeBrokers);

describe('exceedsJsonDepth', () => {
  test('counts objects and arrays, not scalars', () => {
    expect(exceedsJsonDepth({}, 1)).toBe(false);
    expect(exceedsJsonDepth({ a: {} }, 1)).toBe(true);
    expect(exceedsJsonDepth([[1, 'x', null]], 2)).toBe(false);
    expect(exceedsJsonDepth([[[]]], 2)).toBe(true);
    expect(exceedsJsonDepth('text', 0)).toBe(false);
    expect(exceedsJsonDepth({ a: 1, b: [{ c: { d: [] } }] }, 4)).toBe(true);
    expect(exceedsJsonDepth({ a: 1, b: [{ c: { d: [] } }] }, 5)).toBe(false);
  });

  test('a million levels neither overflow the stack nor take long', () => {
    let deep: unknown = {};
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(exceedsJsonDepth(deep, DEFAULT_JSON_DEPTH_LIMIT)).toBe(true);
    expect(exceedsJsonDepth({ wide: Array.from({ length: 10_000 }, () => ({ x: [1] })) }, DEFAULT_JSON_DEPTH_LIMIT)).toBe(false);
  });
});

describe('request bodies nested too deep', () => {
  const instance = 'deep-1';

  test.each([5_000, 4_000, 100_000])('a context %i levels deep is refused with 400 naming the limit, and nothing is stored', async (levels) => {
    const { osb, store, broker } = startBroker({ store: new SqliteStore({ path: ':memory:' }) });
    const res = await send(osb, 'put', paths.instance(instance), provisionWithDeepContext(levels));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('BadRequest');
    expect(res.body.description).toContain(`${DEFAULT_JSON_DEPTH_LIMIT} levels`);
    expect(store.writes).toBe(0);
    expect(broker.calls).toEqual([]);
    expect((await osb.get(paths.instance(instance))).status).toBe(404);
  });

  test('a body exactly at the limit is stored, and later PATCHes of that instance still work', async () => {
    const { osb } = startBroker({ store: new SqliteStore({ path: ':memory:' }) });
    // The body is one level, the context a second, `deep` the rest.
    const created = await send(osb, 'put', paths.instance(instance), provisionWithDeepContext(DEFAULT_JSON_DEPTH_LIMIT - 2));
    expect(created.status).toBe(201);
    const tooDeep = await send(osb, 'put', paths.instance('deep-2'), provisionWithDeepContext(DEFAULT_JSON_DEPTH_LIMIT - 1));
    expect(tooDeep.status).toBe(400);

    const updated = await osb.patch(paths.instance(instance), { service_id: SERVICE_ID, plan_id: PLAN_SMALL, parameters: { size: 2 } });
    expect(updated.status).toBe(200);
    const again = await osb.patch(paths.instance(instance), { service_id: SERVICE_ID, parameters: { size: 3 } });
    expect(again.status).toBe(200);
  });

  test('bind and update bodies are checked too', async () => {
    const { osb } = startBroker();
    expect((await osb.put(paths.instance(instance), provisionBody())).status).toBe(201);
    // In the context: deep parameters would also fail the plan's schema, which proves nothing here.
    const deepContext = `{"service_id":"${SERVICE_ID}","plan_id":"${PLAN_SMALL}","bind_resource":{"app_guid":"app-1"},"context":{"platform":"cloudfoundry","deep":${nestedText(10_000)}}}`;
    const bind = await send(osb, 'put', paths.binding(instance, 'b-1'), deepContext);
    expect(bind.status).toBe(400);
    expect(bind.body.description).toContain(`${DEFAULT_JSON_DEPTH_LIMIT} levels`);
    const update = await send(osb, 'patch', paths.instance(instance), deepContext);
    expect(update.status).toBe(400);
    expect(update.body.description).toContain(`${DEFAULT_JSON_DEPTH_LIMIT} levels`);
  });

  test('an originating identity nested deeper than the limit is refused with 400 too', async () => {
    const { osb, broker } = startBroker();
    const identity = `{"user_id":"alice","deep":${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
    const res = await osb
      .put(paths.instance(instance), provisionBody())
      .set('X-Broker-API-Originating-Identity', `cloudfoundry ${Buffer.from(identity).toString('base64')}`);
    expect(res.status).toBe(400);
    expect(res.body.description).toContain(`${DEFAULT_JSON_DEPTH_LIMIT} levels`);
    expect(broker.calls).toEqual([]);
  });

  test('the limit is configurable', async () => {
    // The body, its context and the context's `x`: three levels.
    const body = provisionBody({ context: { platform: 'cloudfoundry', x: { y: 1 } } });
    const { osb } = startBroker({ bodyDepthLimit: 2 });
    const res = await osb.put(paths.instance(instance), body);
    expect(res.status).toBe(400);
    expect(res.body.description).toContain('2 levels');
    const { osb: roomier } = startBroker({ bodyDepthLimit: 3 });
    expect((await roomier.put(paths.instance(instance), body)).status).toBe(201);
  });

  test('a body express already parsed is checked the same way', async () => {
    const { app } = startBroker({ store: new SqliteStore({ path: ':memory:' }) });
    const web = express();
    web.use(express.json({ limit: '2mb' }));
    web.use(app.router());
    const res = await request(web)
      .put(paths.instance(instance))
      .auth(CREDENTIALS.username, CREDENTIALS.password)
      .set('X-Broker-API-Version', '2.17')
      .set('content-type', 'application/json')
      .send(provisionWithDeepContext(5_000));
    expect(res.status).toBe(400);
    expect(res.body.description).toContain(`${DEFAULT_JSON_DEPTH_LIMIT} levels`);
  });
});
