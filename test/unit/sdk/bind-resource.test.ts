import { bindBody, closeBrokers, paths, provisionBody, startBroker } from '../../support/osb-harness';

/**
 * bind_resource is typed (sdk/openapi/wire.ts): app_guid a non-empty string, route a string.
 * A route of another type is the client's mistake: 400 naming it, nothing stored, the broker
 * not called.
 */
describe('bind_resource.route', () => {
  afterEach(() => closeBrokers());

  test.each([
    ['a number', 7],
    ['an object', { url: 'https://app.example' }],
    ['null', null],
  ])('%s is refused with 400 naming it', async (_label, route) => {
    const t = startBroker();
    expect((await t.osb.put(paths.instance('inst-route'), provisionBody())).status).toBe(201);
    const writes = t.store.writes;

    const res = await t.osb.put(paths.binding('inst-route', 'bind-route'), bindBody({ bind_resource: { app_guid: 'app-1', route } }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'BadRequest', description: 'bind_resource.route must be a string.' });
    expect(t.store.writes).toBe(writes);
    expect(t.broker.callsOf('bind')).toEqual([]);
    expect(await t.store.getBinding('inst-route', 'bind-route')).toBeUndefined();
  });

  test('a string route is taken, kept and handed to the broker', async () => {
    const t = startBroker();
    expect((await t.osb.put(paths.instance('inst-route'), provisionBody())).status).toBe(201);

    const res = await t.osb.put(paths.binding('inst-route', 'bind-route'), bindBody({ bind_resource: { app_guid: 'app-1', route: 'app.example.com' } }));
    expect(res.status).toBe(201);
    expect(t.broker.received.bind[0]!.request.bindResource).toEqual({ app_guid: 'app-1', route: 'app.example.com' });
  });
});
