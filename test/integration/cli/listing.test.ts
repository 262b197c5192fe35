import { DatabaseBroker, databaseCatalog } from '../controller/support/brokers';
import { startTestBroker, type TestBroker } from '../controller/support/test-broker';
import { CliPlatform } from './support';

jest.setTimeout(120_000);

type Body = Record<string, unknown>;

/**
 * Lists longer than one page (CC v3 pages hold 50 unless asked otherwise): the CLI follows
 * `pagination.next` to the end, for people and for --json.
 */
describe('CLI lists follow pagination to the end', () => {
  let platform: CliPlatform;
  let broker: TestBroker;
  const APPS = 123;
  const INSTANCES = 57;

  beforeAll(async () => {
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
    platform = await CliPlatform.start();
    const { harness } = platform;
    await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    for (let i = 0; i < APPS; i += 1) await harness.createApp(`app-${String(i).padStart(3, '0')}`);
    const plan = await harness.planGuid('testdb', 'small');
    for (let i = 0; i < INSTANCES; i += 1) {
      const created = await harness.createInstance(`db-${String(i).padStart(3, '0')}`, plan);
      if (created.job.state !== 'COMPLETE') throw new Error(`instance ${i}: ${JSON.stringify(created.job)}`);
    }
    await platform.logIn();
  });

  afterAll(async () => {
    await platform?.stop();
    await broker?.stop();
  });

  test('the API pages them: one page holds 50, and next keeps the filters', async () => {
    const first = await platform.harness.get('/v3/apps');
    expect((first.body.resources as Body[]).length).toBe(50);
    expect(first.body.pagination).toMatchObject({ total_results: APPS, total_pages: 3 });
    const filtered = await platform.harness.get('/v3/apps?names=app-001,app-002,app-003&per_page=2');
    const next = (filtered.body.pagination as { next: { href: string } }).next.href;
    expect(next).toBe(`${new URL(next).origin}/v3/apps?names=app-001,app-002,app-003&page=2&per_page=2`);
    const second = await platform.harness.get(new URL(next).pathname + new URL(next).search);
    expect((second.body.resources as Body[]).map((a) => a.name)).toEqual(['app-003']);
    expect(second.body.pagination).toMatchObject({ total_results: 3, next: null });
  });

  test('osbkit apps and osbkit apps --json list every app', async () => {
    const table = (await platform.ok(['apps'])).trim().split('\n');
    expect(table).toHaveLength(APPS + 1);
    expect(table[APPS]).toMatch(/^app-122\s/);
    const json = JSON.parse(await platform.ok(['--json', 'apps'])) as Body[];
    expect(json.map((a) => a.name)).toEqual(Array.from({ length: APPS }, (_, i) => `app-${String(i).padStart(3, '0')}`));
  });

  test('osbkit services and osbkit services --json list every instance', async () => {
    const table = (await platform.ok(['services'])).trim().split('\n');
    expect(table).toHaveLength(INSTANCES + 1);
    expect(table[INSTANCES]).toMatch(/^db-056\s+testdb\s+small/);
    const json = JSON.parse(await platform.ok(['--json', 'services'])) as Body[];
    expect(json).toHaveLength(INSTANCES);
    expect(new Set(json.map((i) => i.name)).size).toBe(INSTANCES);
  });
});
