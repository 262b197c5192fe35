import { bindBody, closeBrokers, paths, provisionBody, startBroker } from '../../support/osb-harness';
import { PLAN_LARGE } from '../../support/fixtures';

/** An identical repeat of a finished bind is answered 200 even while the instance is busy. */
describe('repeating a finished bind while the instance has an operation in progress', () => {
  afterEach(() => closeBrokers());

  test('200 with the same credentials; a different bind still gets ConcurrencyError', async () => {
    const t = startBroker();
    expect((await t.osb.put(paths.instance('inst-r'), provisionBody())).status).toBe(201);
    const first = await t.osb.put(paths.binding('inst-r', 'bind-r'), bindBody());
    expect(first.status).toBe(201);

    const release = t.broker.hold('update');
    const updating = t.osb.patch(paths.instance('inst-r', { accepts_incomplete: true }), { service_id: provisionBody().service_id, plan_id: PLAN_LARGE });
    void updating.then(() => undefined);
    await new Promise((r) => setTimeout(r, 50));

    const repeat = await t.osb.put(paths.binding('inst-r', 'bind-r'), bindBody());
    expect(repeat.status).toBe(200);
    expect(repeat.body.credentials).toEqual(first.body.credentials);
    const other = await t.osb.put(paths.binding('inst-r', 'bind-other'), bindBody());
    expect(other.status).toBe(422);
    expect(other.body.error).toBe('ConcurrencyError');

    release();
    await updating;
  });
});
