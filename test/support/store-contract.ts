import type { StateStore } from '../../sdk';
import { LONG_AGO, binding, instance, operation } from './store-records';

/**
 * The behaviour every StateStore must show, as one table of cases: every store the SDK
 * ships, MysqlStore and a custom store run the same table, so they stay interchangeable.
 * `make` is called before each case and must return a new, empty store; the table calls
 * init() on it and closes it after the case.
 */
export function describeStateStoreContract(name: string, make: () => Promise<StateStore> | StateStore): void {
  describe(name, () => {
    let store: StateStore;

    beforeEach(async () => {
      store = await make();
      await store.init();
    });

    afterEach(() => store.close());

    it('init is safe to call again', async () => {
      await store.putInstance(instance('i-1'), null);
      await store.init();
      expect((await store.getInstance('i-1'))?.version).toBe(1);
    });

    it('an unknown id reads as undefined', async () => {
      expect(await store.getInstance('i-none')).toBeUndefined();
      expect(await store.getBinding('i-none', 'b-none')).toBeUndefined();
      expect(await store.listBindings('i-none')).toEqual([]);
    });

    it('insert-if-absent: the first insert wins, a second one changes nothing', async () => {
      const first = instance('i-1', { parameters: { size: 1 } });
      expect(await store.putInstance(first, null)).toBe(1);
      expect(await store.putInstance(instance('i-1', { parameters: { size: 2 } }), null)).toBeUndefined();
      expect(await store.getInstance('i-1')).toEqual({ record: first, version: 1 });
    });

    it('compare-and-set: a write with the current version wins, a stale one is refused', async () => {
      await store.putInstance(instance('i-1'), null);
      const second = instance('i-1', { parameters: { size: 2 } });
      expect(await store.putInstance(second, 1)).toBe(2);
      expect(await store.putInstance(instance('i-1', { parameters: { size: 3 } }), 1)).toBeUndefined();
      expect(await store.putInstance(instance('i-1', { parameters: { size: 4 } }), 7)).toBeUndefined();
      expect(await store.getInstance('i-1')).toEqual({ record: second, version: 2 });
    });

    it('compare-and-set on a record that does not exist is refused', async () => {
      expect(await store.putInstance(instance('i-1'), 1)).toBeUndefined();
      expect(await store.putBinding(binding('i-1', 'b-1'), 1)).toBeUndefined();
      expect(await store.getInstance('i-1')).toBeUndefined();
    });

    it('of concurrent writers with the same version exactly one wins', async () => {
      await store.putInstance(instance('i-1'), null);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.putInstance(instance('i-1', { parameters: { writer: i } }), 1)),
      );
      expect(results.filter((v) => v !== undefined)).toEqual([2]);
      const winner = results.indexOf(2);
      expect(await store.getInstance('i-1')).toEqual({ record: instance('i-1', { parameters: { writer: winner } }), version: 2 });
    });

    it('of concurrent inserts exactly one wins', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.putBinding(binding('i-1', 'b-1', { parameters: { writer: i } }), null)));
      expect(results.filter((v) => v !== undefined)).toEqual([1]);
    });

    it('a read right after a write sees the write', async () => {
      const write = store.putInstance(instance('i-1', { parameters: { size: 9 } }), null);
      expect(await store.getInstance('i-1')).toMatchObject({ record: { parameters: { size: 9 } }, version: 1 });
      expect(await write).toBe(1);
    });

    it('a read that announces a write returns what a plain read does, before and after writes', async () => {
      expect(await store.getInstance('i-1', { forWrite: true })).toBeUndefined();
      await store.putInstance(instance('i-1', { parameters: { size: 1 } }), null);
      const plain = await store.getInstance('i-1');
      expect(await store.getInstance('i-1', { forWrite: true })).toEqual(plain);
      expect(await store.putInstance(instance('i-1', { parameters: { size: 2 } }), 1)).toBe(2);
      expect(await store.getInstance('i-1', { forWrite: true })).toMatchObject({ record: { parameters: { size: 2 } }, version: 2 });
      await store.sync?.();
      expect(await store.getInstance('i-1', { forWrite: true })).toEqual(await store.getInstance('i-1'));
    });

    it('changing a record read does not change the store: it is a copy, or it is frozen', async () => {
      await store.putInstance(instance('i-1'), null);
      const read = (await store.getInstance('i-1'))!;
      const change = (): void => {
        read.record.parameters.size = 99;
        read.record.history.push(operation('failed'));
      };
      // A frozen record refuses the change in strict code, which is all code here.
      if (Object.isFrozen(read.record.parameters) && Object.isFrozen(read.record.history)) expect(change).toThrow(TypeError);
      else change();
      expect((await store.getInstance('i-1'))!.record).toEqual(instance('i-1'));
    });

    it('keeps JSON exactly: unicode, quotes, backslashes, nesting, nulls, operations and history', async () => {
      const record = instance('i-1', {
        parameters: { name: 'été ☃ 🚀', quote: `it's "x" \`y\` \\ \\\\ ; --`, nested: { list: [1, 'two', null, { deep: true }] }, nothing: null },
        context: { platform: 'kubernetes', namespace: 'ns' },
        dashboardUrl: null,
        data: ['private', { n: 1.5 }],
        operation: operation('succeeded', 'op-2'),
        history: [operation('failed', 'op-1')],
      });
      await store.putInstance(record, null);
      expect((await store.getInstance('i-1'))!.record).toEqual(record);
    });

    // A store on a database must not let a collation or an escaping bug merge or break ids.
    it('ids are exact: case matters and metacharacters are plain data', async () => {
      expect(await store.putInstance(instance('abc'), null)).toBe(1);
      expect(await store.putInstance(instance('ABC'), null)).toBe(1);
      const hostile = "x'; DROP TABLE osb_instances; --";
      expect(await store.putInstance(instance(hostile), null)).toBe(1);
      expect((await store.getInstance(hostile))!.record.instanceId).toBe(hostile);
      expect((await store.getInstance('abc'))!.record.instanceId).toBe('abc');
    });

    it('bindings are keyed by instance and binding id, and listed per instance', async () => {
      expect(await store.putBinding(binding('i-1', 'b-1'), null)).toBe(1);
      expect(await store.putBinding(binding('i-1', 'b-2'), null)).toBe(1);
      expect(await store.putBinding(binding('i-2', 'b-1', { parameters: { other: true } }), null)).toBe(1);
      expect(await store.putBinding(binding('i-1', 'b-1', { state: 'deleted' }), 1)).toBe(2);
      expect(await store.putBinding(binding('i-1', 'b-1'), 1)).toBeUndefined();

      expect((await store.getBinding('i-2', 'b-1'))!.record.parameters).toEqual({ other: true });
      const listed = await store.listBindings('i-1');
      expect(listed.map((b) => [b.record.bindingId, b.record.state, b.version]).sort()).toEqual([
        ['b-1', 'deleted', 2],
        ['b-2', 'bound', 1],
      ]);
    });

    it('the combined reads, when a store has them, return what the separate reads do', async () => {
      if (!store.getBindingWithInstance || !store.getInstanceWithBindings) return;
      await store.putInstance(instance('i-1'), null);
      await store.putBinding(binding('i-1', 'b-1'), null);
      await store.putBinding(binding('i-1', 'b-2'), null);
      await store.putBinding(binding('i-2', 'b-1'), null);
      expect(await store.getBindingWithInstance('i-1', 'b-1', { forWrite: true })).toEqual({
        instance: await store.getInstance('i-1'),
        binding: await store.getBinding('i-1', 'b-1'),
      });
      // A binding whose instance is gone, and an instance without that binding.
      expect(await store.getBindingWithInstance('i-2', 'b-1')).toEqual({ instance: undefined, binding: await store.getBinding('i-2', 'b-1') });
      expect(await store.getBindingWithInstance('i-1', 'b-none')).toEqual({ instance: await store.getInstance('i-1'), binding: undefined });
      const both = await store.getInstanceWithBindings('i-1', { forWrite: true });
      expect(both.instance).toEqual(await store.getInstance('i-1'));
      expect(both.bindings.map((b) => [b.record.bindingId, b.version]).sort()).toEqual([['b-1', 1], ['b-2', 1]]);
      expect(await store.getInstanceWithBindings('i-none')).toEqual({ instance: undefined, bindings: [] });
    });

    it('listPending names the records whose operation is in progress, and only those', async () => {
      await store.putInstance(instance('i-run', { state: 'provisioning', operation: operation('in progress') }), null);
      await store.putInstance(instance('i-done', { operation: operation('succeeded') }), null);
      await store.putInstance(instance('i-none'), null);
      await store.putBinding(binding('i-done', 'b-run', { state: 'binding', operation: operation('in progress') }), null);
      await store.putBinding(binding('i-done', 'b-failed', { state: 'failed', operation: operation('failed') }), null);
      const sorted = async (): Promise<string[]> => (await store.listPending()).map((t) => JSON.stringify(t)).sort();
      expect(await sorted()).toEqual([
        JSON.stringify({ type: 'binding', instanceId: 'i-done', bindingId: 'b-run' }),
        JSON.stringify({ type: 'instance', instanceId: 'i-run' }),
      ]);

      await store.putInstance(instance('i-run', { operation: operation('succeeded') }), 1);
      await store.putBinding(binding('i-done', 'b-run', { operation: operation('failed') }), 1);
      expect(await store.listPending()).toEqual([]);
    });

    it('purgeDeleted drops deleted records changed before the cutoff, nothing else', async () => {
      await store.putInstance(instance('i-old-deleted', { state: 'deleted', updatedAt: LONG_AGO }), null);
      await store.putInstance(instance('i-new-deleted', { state: 'deleted' }), null);
      await store.putInstance(instance('i-old-live', { updatedAt: LONG_AGO }), null);
      await store.putInstance(instance('i-old-failed', { state: 'failed', updatedAt: LONG_AGO }), null);
      await store.putBinding(binding('i-old-live', 'b-old-deleted', { state: 'deleted', updatedAt: LONG_AGO }), null);
      await store.putBinding(binding('i-old-live', 'b-old-bound', { updatedAt: LONG_AGO }), null);

      const cutoff = new Date(Date.now() - 60_000);
      expect(await store.purgeDeleted(cutoff)).toBe(2);
      expect(await store.getInstance('i-old-deleted')).toBeUndefined();
      expect(await store.getBinding('i-old-live', 'b-old-deleted')).toBeUndefined();
      for (const id of ['i-new-deleted', 'i-old-live', 'i-old-failed']) expect(await store.getInstance(id)).toBeDefined();
      expect(await store.getBinding('i-old-live', 'b-old-bound')).toBeDefined();
      expect(await store.purgeDeleted(cutoff)).toBe(0);
      // A purged id can be created afresh.
      expect(await store.putInstance(instance('i-old-deleted'), null)).toBe(1);
    });
  });
}
