import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { Catalog, CatalogError, readCatalogFile, type ServiceBroker } from '../../../sdk';
import { ConformanceBroker } from '../../support/conformance-broker';
import {
  OTHER_PLAN, PLAN_ASYNC, PLAN_FIXED, PLAN_LARGE, PLAN_NOBIND, PLAN_SMALL, SERVICE_ID, testCatalog,
} from '../../support/fixtures';
import { closeBrokers, paths, startBroker } from '../../support/osb-harness';

/** Loading, validating and indexing catalogs, and the start-up check of the broker against its catalog. */

afterEach(closeBrokers);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osbkit-catalog-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problemsOf(input: unknown): string[] {
  try {
    Catalog.from(input);
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    return (error as CatalogError).problems;
  }
  throw new Error('the catalog was accepted');
}

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/** A catalog with one offering whose single plan has `schema` as its create schema. */
function withCreateSchema(schema: unknown): Record<string, unknown> {
  return {
    services: [{
      id: 'svc-s', name: 'schemas', description: 'schemas', bindable: false,
      plans: [{ id: 'plan-s', name: 'p', description: 'p', schemas: { service_instance: { create: { parameters: schema } } } }],
    }],
  };
}

describe('loading a catalog', () => {
  it.each([
    ['a YAML file (.yaml)', () => file('catalog.yaml', toYaml(testCatalog()))],
    ['a YAML file (.yml)', () => file('catalog.yml', toYaml(testCatalog()))],
    ['a JSON file', () => file('catalog.json', JSON.stringify(testCatalog(), null, 2))],
  ])('from %s', async (_what, write) => {
    const path = write();
    expect(Catalog.load(path).document).toEqual(testCatalog());
    // createBroker takes the path directly and serves exactly that document.
    const t = startBroker({ catalog: path });
    const res = await t.osb.get(paths.catalog);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(testCatalog());
  });

  it('from an object, which it copies rather than keeps', () => {
    const input = testCatalog();
    const catalog = Catalog.from(input);
    (input.services as Array<Record<string, unknown>>)[0]!.name = 'changed-afterwards';
    expect(catalog.offering(SERVICE_ID)!.name).toBe('test-db');
    expect(JSON.parse(catalog.body.toString('utf8'))).toEqual(testCatalog());
  });

  it('from a Catalog instance, used as it is', async () => {
    const catalog = Catalog.from(testCatalog());
    const t = startBroker({ catalog });
    expect(t.app.catalog).toBe(catalog);
    expect((await t.osb.get(paths.catalog)).body).toEqual(testCatalog());
  });

  it('a file that does not parse is a CatalogError naming the file', () => {
    const path = file('broken.yaml', 'services:\n  - id: [unclosed\n');
    expect(() => readCatalogFile(path)).toThrow(CatalogError);
    expect(() => Catalog.load(path)).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be parsed`));
    const json = file('broken.json', '{"services": [');
    expect(() => Catalog.load(json)).toThrow(/broken\.json cannot be parsed/);
  });

  it('a missing file names the path', () => {
    expect(() => Catalog.load(join(dir, 'nope.yaml'))).toThrow(/nope\.yaml/);
  });

  it('indexes offerings and plans with their effective flags', () => {
    const catalog = Catalog.from(testCatalog());
    expect(catalog.allOfferings().map((o) => o.name)).toEqual(['test-db', 'other']);
    expect(catalog.allPlans()).toHaveLength(6);
    expect(catalog.plan(PLAN_SMALL)).toMatchObject({ bindable: true, planUpdateable: true, bindingRotatable: true, offering: { id: SERVICE_ID } });
    expect(catalog.plan(PLAN_LARGE)).toMatchObject({ bindable: true, planUpdateable: true, bindingRotatable: false });
    expect(catalog.plan(PLAN_FIXED)).toMatchObject({ planUpdateable: false });
    expect(catalog.plan(PLAN_NOBIND)).toMatchObject({ bindable: false });
    expect(catalog.plan(OTHER_PLAN)).toMatchObject({ bindable: false, planUpdateable: false, bindingRotatable: false });
    expect(catalog.offeringOfPlan(PLAN_ASYNC)!.id).toBe(SERVICE_ID);
    expect(catalog.plan('plan-unknown')).toBeUndefined();
    expect(catalog.offering('svc-unknown')).toBeUndefined();
  });

  it('validates parameters against the compiled slot, naming the failing paths', () => {
    const catalog = Catalog.from(testCatalog());
    expect(catalog.validateParameters(PLAN_SMALL, 'instance.create', { size: 3 })).toEqual([]);
    expect(catalog.validateParameters(PLAN_SMALL, 'instance.create', { size: 11, extra: 1 })).toEqual(
      expect.arrayContaining(['/size must be <= 10', '/extra is not allowed']),
    );
    expect(catalog.validateParameters(PLAN_SMALL, 'binding.create', { read_only: 'no' })).toEqual(['/read_only must be boolean']);
    // A plan without a schema accepts anything.
    expect(catalog.validateParameters(PLAN_LARGE, 'instance.create', { anything: [1, 2] })).toEqual([]);
  });
});

describe('catalog validation', () => {
  it('lists every problem at once', () => {
    const problems = problemsOf({
      services: [
        {
          id: 'svc-a', name: 'same-name', description: 'first', bindable: true,
          requires: ['syslog_drain', 'teleport'],
          plans: [
            { id: 'svc-b', name: 'p1', description: 'its id is also an offering id' },
            { id: 'plan-2', name: 'p1', description: 'a second plan called p1' },
            { id: 'plan-3', name: 'p3' },
            { id: 'plan-4', name: 'p4', description: 'x', schemas: { service_instance: { create: { parameters: { type: 'object' } } } } },
            { id: 'plan-5', name: 'p5', description: 'x', schemas: { service_instance: { update: { parameters: { $schema: DRAFT_07, type: 'no-such-type' } } } } },
            { id: 'plan-6', name: 'p6', description: 'x', schemas: { service_binding: { create: { parameters: { $schema: DRAFT_07, $ref: 'https://example.com/s.json' } } } } },
            { id: 'plan-7', name: 'p7', description: 'x', maintenance_info: { version: '1.0' } },
            { id: 'plan-8', name: 'p8', description: 'x', bindable: false, binding_rotatable: true },
          ],
        },
        { id: 'svc-b', name: 'same-name', description: 'second', plans: [{ id: 'plan-2', name: 'q', description: 'a plan id used twice' }] },
        { name: 'no-id', description: 'x', bindable: false, plans: [] },
      ],
    });
    const expected: RegExp[] = [
      /^services\[0\] \(same-name\)\.requires contains unsupported value "teleport"/,
      /^services\[0\] \(same-name\)\.plans\[1\] \(p1\)\.name "p1" is not unique within its offering/,
      /^services\[0\] \(same-name\)\.plans\[2\] \(p3\)\.description must be a non-empty string/,
      /^services\[0\] \(same-name\)\.plans\[3\] \(p4\)\.schemas\.service_instance\.create\.parameters must declare "\$schema"/,
      /^services\[0\] \(same-name\)\.plans\[4\] \(p5\)\.schemas\.service_instance\.update\.parameters does not compile/,
      /^services\[0\] \(same-name\)\.plans\[5\] \(p6\)\.schemas\.service_binding\.create\.parameters must not use external "\$ref"s/,
      /^services\[0\] \(same-name\)\.plans\[6\] \(p7\)\.maintenance_info\.version must be a SemVer 2\.0 version/,
      /^services\[0\] \(same-name\)\.plans\[7\] \(p8\)\.binding_rotatable is true but the plan is not bindable/,
      /^services\[1\] \(same-name\)\.bindable must be a boolean/,
      /^services\[1\] \(same-name\)\.id "svc-b" is already used by services\[0\] \(same-name\)\.plans\[0\] \(p1\)/,
      /^services\[1\] \(same-name\)\.name "same-name" is not unique/,
      /^services\[1\] \(same-name\)\.plans\[0\] \(q\)\.id "plan-2" is already used by services\[0\] \(same-name\)\.plans\[1\] \(p1\)/,
      /^services\[2\] \(no-id\)\.id must be a non-empty string/,
      /^services\[2\] \(no-id\)\.plans must be a non-empty array/,
    ];
    for (const pattern of expected) expect(problems).toContainEqual(expect.stringMatching(pattern));
    expect(problems).toHaveLength(expected.length);
  });

  it('CatalogError lists the problems in its message', () => {
    expect(() => Catalog.from({ services: [{ id: 'x', name: 'x', description: 'x', plans: [] }] })).toThrow(
      /The catalog is invalid:\n {2}- .*bindable must be a boolean\n {2}- .*plans must be a non-empty array/,
    );
  });

  it.each([
    ['not an object', 'services', /the catalog must be an object/],
    ['services is not an array', { services: {} }, /"services" must be an array/],
  ])('%s', (_what, input, problem) => {
    expect(problemsOf(input)).toEqual([expect.stringMatching(problem)]);
  });

  it('a boolean flag that is not a boolean', () => {
    const catalog = testCatalog();
    const offering = (catalog.services as Array<Record<string, unknown>>)[0]!;
    offering.instances_retrievable = 'yes';
    (offering.plans as Array<Record<string, unknown>>)[0]!.plan_updateable = 1;
    expect(problemsOf(catalog)).toEqual([
      expect.stringMatching(/^services\[0\] \(test-db\)\.instances_retrievable must be a boolean/),
      expect.stringMatching(/^services\[0\] \(test-db\)\.plans\[0\] \(small\)\.plan_updateable must be a boolean/),
    ]);
  });

  it('a maximum_polling_duration that is not a positive integer', () => {
    const catalog = testCatalog();
    const plans = (catalog.services as Array<Record<string, unknown>>)[0]!.plans as Array<Record<string, unknown>>;
    plans[0]!.maximum_polling_duration = 0;
    plans[1]!.maximum_polling_duration = 1.5;
    expect(problemsOf(catalog)).toEqual([
      expect.stringMatching(/plans\[0\] \(small\)\.maximum_polling_duration must be a positive integer/),
      expect.stringMatching(/plans\[1\] \(large\)\.maximum_polling_duration must be a positive integer/),
    ]);
  });

  it('a schema over 64 kB', () => {
    const properties = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`property_${i}`, { type: 'string', description: 'x'.repeat(20) }]));
    expect(problemsOf(withCreateSchema({ $schema: DRAFT_07, type: 'object', properties }))).toEqual([
      expect.stringMatching(/parameters is \d+ bytes; the spec limits schemas to 64 kB/),
    ]);
  });

  it('an unsupported $schema', () => {
    expect(problemsOf(withCreateSchema({ $schema: 'https://example.com/my-dialect', type: 'object' }))).toEqual([
      expect.stringMatching(/declares an unsupported "\$schema" "https:\/\/example\.com\/my-dialect"/),
    ]);
  });

  it('internal $refs are fine', () => {
    const schema = { $schema: DRAFT_07, definitions: { size: { type: 'integer' } }, properties: { size: { $ref: '#/definitions/size' } } };
    const catalog = Catalog.from(withCreateSchema(schema));
    expect(catalog.validateParameters('plan-s', 'instance.create', { size: 'big' })).toEqual(['/size must be integer']);
  });
});

describe('schema dialects', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, string]>([
    [
      'draft-04 (boolean exclusiveMaximum)',
      { $schema: 'http://json-schema.org/draft-04/schema#', properties: { size: { type: 'integer', maximum: 10, exclusiveMaximum: true } } },
      { size: 9 },
      { size: 10 },
      '/size must be < 10',
    ],
    [
      'draft-06 (numeric exclusiveMaximum)',
      { $schema: 'http://json-schema.org/draft-06/schema#', properties: { size: { type: 'integer', exclusiveMaximum: 10 } } },
      { size: 9 },
      { size: 10 },
      '/size must be < 10',
    ],
    [
      'draft-07 (if/then)',
      { $schema: DRAFT_07, if: { properties: { tier: { const: 'gold' } }, required: ['tier'] }, then: { required: ['replicas'] } },
      { tier: 'gold', replicas: 3 },
      { tier: 'gold' },
      '/replicas is required',
    ],
    [
      '2019-09 (dependentRequired)',
      { $schema: 'https://json-schema.org/draft/2019-09/schema', dependentRequired: { tls: ['certificate'] } },
      { tls: true, certificate: 'pem' },
      { tls: true },
      '/ must have property certificate when property tls is present',
    ],
    [
      '2020-12 (prefixItems)',
      { $schema: 'https://json-schema.org/draft/2020-12/schema', properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] } } },
      { pair: ['a', 1] },
      { pair: ['a', 'b'] },
      '/pair/1 must be integer',
    ],
  ])('%s compiles and validates', (_dialect, schema, good, bad, problem) => {
    const catalog = Catalog.from(withCreateSchema(schema));
    expect(catalog.validateParameters('plan-s', 'instance.create', good)).toEqual([]);
    expect(catalog.validateParameters('plan-s', 'instance.create', bad)).toContain(problem);
  });

  it('the dialect follows $schema: a draft-04 keyword form under draft-07 does not compile', () => {
    const schema = { $schema: DRAFT_07, properties: { size: { type: 'integer', maximum: 10, exclusiveMaximum: true } } };
    expect(problemsOf(withCreateSchema(schema))).toEqual([expect.stringMatching(/parameters does not compile/)]);
  });

  it('formats are checked', () => {
    const schema = { $schema: DRAFT_07, properties: { admin: { type: 'string', format: 'email' } } };
    const catalog = Catalog.from(withCreateSchema(schema));
    expect(catalog.validateParameters('plan-s', 'instance.create', { admin: 'ops@example.com' })).toEqual([]);
    expect(catalog.validateParameters('plan-s', 'instance.create', { admin: 'not an address' })).toEqual(['/admin must match format "email"']);
  });
});

describe('the start-up capability check', () => {
  /** A broker that only provisions and deprovisions. */
  function minimalBroker(): ServiceBroker {
    return { provision: async () => ({}), deprovision: async () => undefined };
  }

  it('lists every promise of the catalog the broker cannot keep', () => {
    let message = '';
    try {
      startBroker({ broker: minimalBroker() });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^The broker does not match its catalog:/);
    for (const line of [
      'offering "test-db": instances_retrievable is true but getInstance is missing',
      'offering "test-db": bindings_retrievable is true but getBinding is missing',
      'offering "test-db": allow_context_updates is true but update is missing',
      'plan "test-db/small" is bindable but bind is missing',
      'plan "test-db/small" is bindable but unbind is missing',
      'plan "test-db/small" is plan_updateable but update is missing',
      'plan "test-db/small" has an update parameters schema but update is missing',
    ]) {
      expect(message).toContain(`  - ${line}`);
    }
    expect(message).not.toMatch(/nobind.*bind is missing|"other\/only" is bindable/);
  });

  it('one missing method is named alone', () => {
    const broker = new ConformanceBroker();
    const { getInstance: _dropped, ...rest } = Object.fromEntries(
      (['provision', 'deprovision', 'update', 'bind', 'unbind', 'getInstance', 'getBinding'] as const).map((m) => [m, broker[m].bind(broker)]),
    );
    expect(() => startBroker({ broker: rest as unknown as ServiceBroker })).toThrow(
      'The broker does not match its catalog:\n  - offering "test-db": instances_retrievable is true but getInstance is missing',
    );
  });

  it('a broker that only provisions is enough for a catalog that promises nothing more', async () => {
    const catalog = {
      services: [{ id: 'svc-min', name: 'min', description: 'min', bindable: false, plans: [{ id: 'plan-min', name: 'p', description: 'p' }] }],
    };
    const t = startBroker({ broker: minimalBroker(), catalog });
    expect((await t.osb.get(paths.catalog)).status).toBe(200);
  });
});
