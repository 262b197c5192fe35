import { MemoryStore, type InstanceRecord, type ReadIntent, type Versioned } from '../../../sdk';
import { bindBody, closeBrokers, deleteQuery, paths, provisionBody, startBroker } from '../../support/osb-harness';

/**
 * A bind or unbind request reads its instance once: the first step takes the record the
 * request read to decide whether it may start (sdk/engine/binding-instance.ts).
 */

class InstanceReads extends MemoryStore {
  reads = 0;

  override async getInstance(instanceId: string, _intent?: ReadIntent): Promise<Versioned<InstanceRecord> | undefined> {
    this.reads++;
    return super.getInstance(instanceId);
  }
}

afterEach(() => closeBrokers());

test('a bind and an unbind each read their instance once, and the broker still gets the instance', async () => {
  const store = new InstanceReads();
  const t = startBroker({ store });
  expect((await t.osb.put(paths.instance('inst-once'), provisionBody())).status).toBe(201);

  store.reads = 0;
  expect((await t.osb.put(paths.binding('inst-once', 'bind-once'), bindBody())).status).toBe(201);
  expect(store.reads).toBe(1);
  expect(t.broker.received.bind[0]!.request.instance).toMatchObject({ instanceId: 'inst-once', parameters: provisionBody().parameters });

  store.reads = 0;
  expect((await t.osb.delete(paths.binding('inst-once', 'bind-once', deleteQuery()))).status).toBe(200);
  expect(store.reads).toBe(1);
  expect(t.broker.received.unbind[0]!.request.instance).toMatchObject({ instanceId: 'inst-once' });
});
