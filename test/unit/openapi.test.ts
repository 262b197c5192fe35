import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { parse } from 'yaml';

import {
  OSB_API_VERSION,
  type BindRequest,
  type LastOperationResponse,
  type ProvisionRequest,
  type ServicePlan,
  type operations,
} from '../../sdk/openapi';

const ROOT = path.resolve(__dirname, '..', '..');
const YAML_PATH = path.join(ROOT, 'sdk', 'openapi', 'osb.yaml');
const GEN_PATH = path.join(ROOT, 'sdk', 'openapi', 'osb.gen.ts');
const GEN_SCRIPT = path.join(ROOT, 'scripts', 'gen-types.js');

// openapi-typescript is an ES module, and Jest's CommonJS sandbox cannot run a
// dynamic import() without --experimental-vm-modules. So the exported
// generate() runs in a plain node child process, exactly as `npm run gen` would.
function runGenerate(): string {
  const script = `require(${JSON.stringify(GEN_SCRIPT)}).generate().then(
    (s) => process.stdout.write(s),
    (e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); })`;
  return execFileSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

function firstDifference(a: string, b: string): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  for (let i = 0; i < Math.max(al.length, bl.length); i += 1) {
    if (al[i] !== bl[i]) {
      return `line ${i + 1}:\n  committed: ${JSON.stringify(al[i])}\n  generated: ${JSON.stringify(bl[i])}`;
    }
  }
  return 'no line differs (line endings?)';
}

// ---------------------------------------------------------------------------
// Loose view of the parsed YAML: only what the assertions below navigate.

type Json = Record<string, unknown>;
interface SchemaNode {
  type?: string;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  deprecated?: boolean;
  minItems?: number;
  maxLength?: number;
  additionalProperties?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  $ref?: string;
}
interface ParameterNode {
  name: string;
  in: string;
  required?: boolean;
  schema?: SchemaNode;
  $ref?: string;
}
interface HeaderNode {
  required?: boolean;
  schema?: SchemaNode;
  $ref?: string;
}
interface ResponseNode {
  description?: string;
  headers?: Record<string, HeaderNode>;
  content?: Record<string, { schema?: SchemaNode }>;
  $ref?: string;
}
interface OperationNode {
  operationId: string;
  parameters?: ParameterNode[];
  requestBody?: { required?: boolean; content: Record<string, { schema: SchemaNode }> };
  responses: Record<string, ResponseNode>;
  security?: unknown;
}
interface Doc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, SchemaNode>;
    parameters: Record<string, ParameterNode>;
    responses: Record<string, ResponseNode>;
    headers: Record<string, HeaderNode>;
    securitySchemes: Record<string, Json>;
  };
  security: Array<Record<string, unknown[]>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const yamlText = fs.readFileSync(YAML_PATH, 'utf8');
const doc = parse(yamlText) as Doc;

function resolve<T>(node: T & { $ref?: string }): T {
  let current: unknown = node;
  for (let hops = 0; hops < 10; hops += 1) {
    const ref = (current as { $ref?: string }).$ref;
    if (typeof ref !== 'string') return current as T;
    if (!ref.startsWith('#/')) throw new Error(`external $ref not allowed: ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((acc, key) => (acc as Json | undefined)?.[key], doc);
    if (current === undefined) throw new Error(`unresolvable $ref: ${ref}`);
  }
  throw new Error('$ref chain too long');
}

interface Op {
  method: string;
  path: string;
  op: OperationNode;
  params: ParameterNode[];
}

function collectOperations(): Map<string, Op> {
  const out = new Map<string, Op>();
  for (const [p, item] of Object.entries(doc.paths)) {
    const shared = ((item.parameters as ParameterNode[] | undefined) ?? []).map((x) => resolve(x));
    for (const method of METHODS) {
      const op = item[method] as OperationNode | undefined;
      if (!op) continue;
      const own = (op.parameters ?? []).map((x) => resolve(x));
      out.set(op.operationId, { method, path: p, op, params: [...shared, ...own] });
    }
  }
  return out;
}

const ops = collectOperations();

function op(id: string): Op {
  const found = ops.get(id);
  if (!found) throw new Error(`operation ${id} missing`);
  return found;
}

function response(id: string, status: string): ResponseNode {
  const r = op(id).op.responses[status];
  if (!r) throw new Error(`${id} has no ${status} response`);
  return resolve(r);
}

function schema(name: string): SchemaNode {
  const s = doc.components.schemas[name];
  if (!s) throw new Error(`schema ${name} missing`);
  return s;
}

function prop(schemaName: string, field: string): SchemaNode {
  const p = schema(schemaName).properties?.[field];
  if (!p) throw new Error(`${schemaName}.${field} missing`);
  return resolve(p);
}

function bodySchemaRef(r: ResponseNode): string | undefined {
  return r.content?.['application/json']?.schema?.$ref;
}

const EXPECTED_OPERATIONS: Array<[string, string, string]> = [
  ['getCatalog', 'get', '/v2/catalog'],
  ['provisionInstance', 'put', '/v2/service_instances/{instance_id}'],
  ['updateInstance', 'patch', '/v2/service_instances/{instance_id}'],
  ['deprovisionInstance', 'delete', '/v2/service_instances/{instance_id}'],
  ['fetchInstance', 'get', '/v2/service_instances/{instance_id}'],
  ['getInstanceLastOperation', 'get', '/v2/service_instances/{instance_id}/last_operation'],
  ['bindBinding', 'put', '/v2/service_instances/{instance_id}/service_bindings/{binding_id}'],
  ['unbindBinding', 'delete', '/v2/service_instances/{instance_id}/service_bindings/{binding_id}'],
  ['fetchBinding', 'get', '/v2/service_instances/{instance_id}/service_bindings/{binding_id}'],
  [
    'getBindingLastOperation',
    'get',
    '/v2/service_instances/{instance_id}/service_bindings/{binding_id}/last_operation',
  ],
];
const ALL_IDS = EXPECTED_OPERATIONS.map(([id]) => id);

const SCHEMA_NAMES = [
  'Catalog', 'ServiceOffering', 'ServicePlan', 'DashboardClient', 'PlanSchemas',
  'ServiceInstanceSchema', 'ServiceBindingSchema', 'InputParameters', 'MaintenanceInfo',
  'Context', 'InstanceMetadata', 'BindingMetadata', 'ProvisionRequest', 'ProvisionResponse',
  'UpdateRequest', 'UpdateResponse', 'PreviousValues', 'AsyncOperation', 'FetchInstanceResponse',
  'LastOperationResponse', 'BindRequest', 'BindResource', 'BindResponse', 'FetchBindingResponse',
  'VolumeMount', 'VolumeMountDevice', 'BindingEndpoint', 'ErrorResponse', 'EmptyObject',
];

// ---------------------------------------------------------------------------

describe('generated types (sdk/openapi/osb.gen.ts)', () => {
  let fresh = '';

  beforeAll(() => {
    fresh = runGenerate();
  }, 60_000);

  test('the committed file equals a fresh generation', () => {
    const committed = fs.existsSync(GEN_PATH) ? fs.readFileSync(GEN_PATH, 'utf8') : '';
    if (committed !== fresh) {
      throw new Error(
        `sdk/openapi/osb.gen.ts is stale or missing: run npm run gen (then commit it).\n` +
          `First difference at ${firstDifference(committed, fresh)}`,
      );
    }
    expect(committed).toBe(fresh);
  });

  test('generation is deterministic and machine independent', () => {
    expect(runGenerate()).toBe(fresh);
    expect(fresh).not.toContain(ROOT);
    expect(fresh).not.toContain(os.homedir());
    expect(fresh.startsWith('/**\n * GENERATED FILE - DO NOT EDIT.')).toBe(true);
    expect(fresh).toContain('npm run gen');
    for (const name of SCHEMA_NAMES) expect(fresh).toContain(`        ${name}: `);
    for (const id of ALL_IDS) expect(fresh).toContain(`operations["${id}"]`);
  }, 60_000);

  test('--check exits 0 on an up-to-date file and 1 on a stale or missing one', () => {
    // Works on copies in a temp dir, so only the test above reacts to the committed file.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osbkit-gen-'));
    try {
      const current = path.join(dir, 'current.gen.ts');
      fs.writeFileSync(current, fresh);
      const ok = spawnSync(process.execPath, [GEN_SCRIPT, '--check', '--out', current], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect({ status: ok.status, stdout: ok.stdout }).toEqual({
        status: 0,
        stdout: expect.stringContaining('up to date'),
      });

      const stale = path.join(dir, 'osb.gen.ts');
      fs.writeFileSync(stale, fresh.replace('"in progress"', '"in-progress"'));
      const bad = spawnSync(process.execPath, [GEN_SCRIPT, '--check', '--out', stale], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('npm run gen');
      // --check never rewrites the file it checks.
      expect(fs.readFileSync(stale, 'utf8')).toContain('"in-progress"');

      const missing = spawnSync(process.execPath, [GEN_SCRIPT, '--check', '--out', path.join(dir, 'none.ts')], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain('is missing');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('sdk/openapi/index.ts', () => {
  test('exports the API version', () => {
    expect(OSB_API_VERSION).toBe('2.17');
  });

  test('type aliases match the schema (checked by `npm run typecheck`)', () => {
    const plan: ServicePlan = { id: 'p', name: 'small', description: 'Small', binding_rotatable: true };
    const bind: BindRequest = { service_id: 's', plan_id: 'p', predecessor_binding_id: 'b0', 'x-vendor': 1 };
    const prov: ProvisionRequest = {
      service_id: 's',
      plan_id: 'p',
      organization_guid: 'o',
      space_guid: 'sp',
      context: { platform: 'kubernetes', namespace: 'ns' },
    };
    const last: LastOperationResponse = { state: 'in progress' };
    type BindStatuses = keyof operations['bindBinding']['responses'];
    const statuses: BindStatuses[] = [200, 201, 202, 400, 401, 409, 412, 422, 'default'];

    // @ts-expect-error organization_guid and space_guid are required on provision
    const badProv: ProvisionRequest = { service_id: 's', plan_id: 'p' };
    // @ts-expect-error state only takes the three spec values
    const badLast: LastOperationResponse = { state: 'done' };

    expect([plan.binding_rotatable, bind.predecessor_binding_id, prov.context?.platform, last.state]).toEqual([
      true,
      'b0',
      'kubernetes',
      'in progress',
    ]);
    expect(statuses).toHaveLength(9);
    expect(badProv.service_id).toBe('s');
    expect(badLast.state).toBe('done');
  });
});

describe('sdk/openapi/osb.yaml structure', () => {
  test('is OpenAPI 3.0.x for OSB 2.17 with basic auth', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info.version).toBe('2.17');
    expect(doc.components.securitySchemes.basicAuth).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'basic' }),
    );
    expect(doc.security).toEqual([{ basicAuth: [] }]);
  });

  test('declares exactly the ten OSB operations on the right routes', () => {
    expect([...ops.keys()].sort()).toEqual([...ALL_IDS].sort());
    for (const [id, method, p] of EXPECTED_OPERATIONS) {
      expect({ id, method: op(id).method, path: op(id).path }).toEqual({ id, method, path: p });
    }
  });

  test('every $ref resolves inside the document', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) expect(() => resolve({ $ref: ref })).not.toThrow();
  });

  test('all component schemas the SDK relies on exist', () => {
    for (const name of SCHEMA_NAMES) {
      expect(doc.components.schemas[name]?.type).toBe('object');
    }
  });

  test('path parameters match the route templates', () => {
    for (const { op: o, path: p, params } of ops.values()) {
      const inPath = params.filter((x) => x.in === 'path').map((x) => x.name).sort();
      const templated = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect({ id: o.operationId, inPath }).toEqual({ id: o.operationId, inPath: templated });
      for (const x of params.filter((y) => y.in === 'path')) expect(x.required).toBe(true);
    }
  });

  test('every operation takes the three OSB headers', () => {
    for (const { op: o, params } of ops.values()) {
      const header = (name: string) => params.find((x) => x.in === 'header' && x.name === name);
      const version = header('X-Broker-API-Version');
      expect({ id: o.operationId, required: version?.required, def: version?.schema?.default }).toEqual({
        id: o.operationId,
        required: true,
        def: '2.17',
      });
      expect(header('X-Broker-API-Originating-Identity')?.required).not.toBe(true);
      expect(header('X-Broker-API-Request-Identity')?.required).not.toBe(true);
      expect(header('X-Broker-API-Request-Identity')?.schema?.type).toBe('string');
    }
  });

  test('query parameters follow the spec per operation', () => {
    const query = (id: string) =>
      Object.fromEntries(op(id).params.filter((x) => x.in === 'query').map((x) => [x.name, x.required === true]));
    expect(query('getCatalog')).toEqual({});
    expect(query('provisionInstance')).toEqual({ accepts_incomplete: false });
    expect(query('updateInstance')).toEqual({ accepts_incomplete: false });
    expect(query('bindBinding')).toEqual({ accepts_incomplete: false });
    for (const id of ['deprovisionInstance', 'unbindBinding']) {
      expect(query(id)).toEqual({ service_id: true, plan_id: true, accepts_incomplete: false });
    }
    for (const id of ['fetchInstance', 'fetchBinding']) {
      expect(query(id)).toEqual({ service_id: false, plan_id: false });
    }
    for (const id of ['getInstanceLastOperation', 'getBindingLastOperation']) {
      expect(query(id)).toEqual({ service_id: false, plan_id: false, operation: false });
    }
    const accepts = op('provisionInstance').params.find((x) => x.name === 'accepts_incomplete');
    expect(accepts?.schema?.type).toBe('boolean');
  });

  test('request bodies are required JSON bodies of the right schemas', () => {
    const body = (id: string) => {
      const rb = op(id).op.requestBody;
      return rb ? { required: rb.required, ref: rb.content['application/json']?.schema.$ref } : undefined;
    };
    expect(body('provisionInstance')).toEqual({ required: true, ref: '#/components/schemas/ProvisionRequest' });
    expect(body('updateInstance')).toEqual({ required: true, ref: '#/components/schemas/UpdateRequest' });
    expect(body('bindBinding')).toEqual({ required: true, ref: '#/components/schemas/BindRequest' });
    for (const id of ALL_IDS.filter((x) => !['provisionInstance', 'updateInstance', 'bindBinding'].includes(x))) {
      expect(body(id)).toBeUndefined();
    }
  });

  test('response statuses per operation are the ones the spec defines', () => {
    const common = ['400', '401', '412', 'default'];
    const expected: Record<string, string[]> = {
      getCatalog: ['200', '304'],
      provisionInstance: ['200', '201', '202', '409', '422'],
      updateInstance: ['200', '202', '422'],
      deprovisionInstance: ['200', '202', '410', '422'],
      fetchInstance: ['200', '404', '422'],
      getInstanceLastOperation: ['200', '404', '410'],
      bindBinding: ['200', '201', '202', '409', '422'],
      unbindBinding: ['200', '202', '410', '422'],
      fetchBinding: ['200', '404'],
      getBindingLastOperation: ['200', '404', '410'],
    };
    for (const id of ALL_IDS) {
      expect({ id, statuses: Object.keys(op(id).op.responses).sort() }).toEqual({
        id,
        statuses: [...(expected[id] ?? []), ...common].sort(),
      });
    }
  });

  test('success bodies use the expected schemas', () => {
    const ref = (id: string, status: string) => bodySchemaRef(response(id, status))?.replace('#/components/schemas/', '');
    expect(ref('getCatalog', '200')).toBe('Catalog');
    for (const s of ['200', '201', '202']) expect(ref('provisionInstance', s)).toBe('ProvisionResponse');
    for (const s of ['200', '202']) expect(ref('updateInstance', s)).toBe('UpdateResponse');
    for (const s of ['200', '201']) expect(ref('bindBinding', s)).toBe('BindResponse');
    expect(ref('bindBinding', '202')).toBe('AsyncOperation');
    for (const id of ['deprovisionInstance', 'unbindBinding']) {
      expect(ref(id, '200')).toBe('EmptyObject');
      expect(ref(id, '202')).toBe('AsyncOperation');
    }
    expect(ref('fetchInstance', '200')).toBe('FetchInstanceResponse');
    expect(ref('fetchBinding', '200')).toBe('FetchBindingResponse');
    expect(ref('getInstanceLastOperation', '200')).toBe('LastOperationResponse');
    expect(ref('getBindingLastOperation', '200')).toBe('LastOperationResponse');
  });

  test('error statuses carry an ErrorResponse body', () => {
    for (const id of ALL_IDS) {
      for (const [status, r] of Object.entries(op(id).op.responses)) {
        if (status === 'default' || Number(status) >= 400) {
          expect({ id, status, ref: bodySchemaRef(resolve(r)) }).toEqual({
            id,
            status,
            ref: '#/components/schemas/ErrorResponse',
          });
        }
      }
    }
  });
});

describe('gaps of the upstream OpenAPI files are filled', () => {
  test('binding_rotatable is on ServicePlan, not on ServiceOffering', () => {
    expect(prop('ServicePlan', 'binding_rotatable')).toEqual(expect.objectContaining({ type: 'boolean', default: false }));
    expect(schema('ServiceOffering').properties).not.toHaveProperty('binding_rotatable');
  });

  test('ServiceOffering has the retrievability and context-update flags', () => {
    for (const f of ['instances_retrievable', 'bindings_retrievable', 'allow_context_updates', 'plan_updateable']) {
      expect(prop('ServiceOffering', f).type).toBe('boolean');
    }
    expect(schema('ServiceOffering').required?.sort()).toEqual(['bindable', 'description', 'id', 'name', 'plans']);
    expect(prop('ServiceOffering', 'plans').minItems).toBe(1);
    expect(prop('ServiceOffering', 'requires').items?.enum).toEqual(['syslog_drain', 'route_forwarding', 'volume_mount']);
    expect(prop('ServiceOffering', 'dashboard_client')).toBe(schema('DashboardClient'));
    expect(schema('DashboardClient').required?.sort()).toEqual(['id', 'secret']);
    expect(Object.keys(schema('DashboardClient').properties ?? {}).sort()).toEqual(['id', 'redirect_uri', 'secret']);
  });

  test('ServicePlan carries free, bindable, plan_updateable, schemas, polling and maintenance', () => {
    expect(schema('ServicePlan').required?.sort()).toEqual(['description', 'id', 'name']);
    expect(prop('ServicePlan', 'free')).toEqual(expect.objectContaining({ type: 'boolean', default: true }));
    expect(prop('ServicePlan', 'bindable').type).toBe('boolean');
    expect(prop('ServicePlan', 'plan_updateable').type).toBe('boolean');
    expect(prop('ServicePlan', 'maximum_polling_duration').type).toBe('integer');
    expect(prop('ServicePlan', 'maintenance_info')).toBe(schema('MaintenanceInfo'));
    expect(schema('MaintenanceInfo').required).toEqual(['version']);
    expect(Object.keys(schema('MaintenanceInfo').properties ?? {}).sort()).toEqual(['description', 'version']);
    expect(prop('ServicePlan', 'schemas')).toBe(schema('PlanSchemas'));
    expect(prop('PlanSchemas', 'service_instance')).toBe(schema('ServiceInstanceSchema'));
    expect(prop('PlanSchemas', 'service_binding')).toBe(schema('ServiceBindingSchema'));
    expect(prop('ServiceInstanceSchema', 'create')).toBe(schema('InputParameters'));
    expect(prop('ServiceInstanceSchema', 'update')).toBe(schema('InputParameters'));
    expect(prop('ServiceBindingSchema', 'create')).toBe(schema('InputParameters'));
    expect(prop('InputParameters', 'parameters')).toEqual(
      expect.objectContaining({ type: 'object', additionalProperties: true }),
    );
  });

  test('request bodies mark exactly the spec-required fields', () => {
    expect(schema('ProvisionRequest').required?.sort()).toEqual(['organization_guid', 'plan_id', 'service_id', 'space_guid']);
    expect(prop('ProvisionRequest', 'organization_guid').deprecated).toBe(true);
    expect(prop('ProvisionRequest', 'maintenance_info')).toBe(schema('MaintenanceInfo'));
    expect(schema('UpdateRequest').required).toEqual(['service_id']);
    expect(prop('UpdateRequest', 'previous_values')).toBe(schema('PreviousValues'));
    expect(Object.keys(schema('PreviousValues').properties ?? {}).sort()).toEqual([
      'maintenance_info',
      'organization_id',
      'plan_id',
      'service_id',
      'space_id',
    ]);
    expect(schema('BindRequest').required?.sort()).toEqual(['plan_id', 'service_id']);
    expect(prop('BindRequest', 'predecessor_binding_id').type).toBe('string');
    expect(prop('BindRequest', 'app_guid').deprecated).toBe(true);
    expect(prop('BindRequest', 'bind_resource')).toBe(schema('BindResource'));
    expect(Object.keys(schema('BindResource').properties ?? {}).sort()).toEqual(['app_guid', 'route']);
    expect(schema('BindResource').additionalProperties).toBe(true);
  });

  test('context requires platform and accepts platform-specific members', () => {
    expect(schema('Context').required).toEqual(['platform']);
    expect(schema('Context').additionalProperties).toBe(true);
    for (const s of ['ProvisionRequest', 'UpdateRequest', 'BindRequest']) {
      expect(prop(s, 'context')).toBe(schema('Context'));
    }
  });

  test('instance and binding metadata are described', () => {
    expect(Object.keys(schema('InstanceMetadata').properties ?? {}).sort()).toEqual(['attributes', 'labels']);
    for (const s of ['ProvisionResponse', 'UpdateResponse', 'FetchInstanceResponse']) {
      expect(prop(s, 'metadata')).toBe(schema('InstanceMetadata'));
    }
    expect(Object.keys(schema('BindingMetadata').properties ?? {}).sort()).toEqual(['expires_at', 'renew_before']);
    for (const s of ['BindResponse', 'FetchBindingResponse']) {
      expect(prop(s, 'metadata')).toBe(schema('BindingMetadata'));
    }
    expect(prop('ProvisionResponse', 'dashboard_url').nullable).toBe(true);
    expect(prop('ProvisionResponse', 'operation')).toEqual(
      expect.objectContaining({ nullable: true, maxLength: 10000 }),
    );
  });

  test('binding endpoints and volume mounts are fully typed', () => {
    expect(schema('BindingEndpoint').required?.sort()).toEqual(['host', 'ports']);
    expect(prop('BindingEndpoint', 'protocol')).toEqual(
      expect.objectContaining({ enum: ['tcp', 'udp', 'all'], default: 'tcp' }),
    );
    expect(prop('BindingEndpoint', 'ports')).toEqual(expect.objectContaining({ type: 'array', minItems: 1 }));
    expect(schema('VolumeMount').required?.sort()).toEqual(['container_dir', 'device', 'device_type', 'driver', 'mode']);
    expect(prop('VolumeMount', 'mode').enum).toEqual(['r', 'rw']);
    expect(prop('VolumeMount', 'device_type').enum).toEqual(['shared']);
    expect(prop('VolumeMount', 'device')).toBe(schema('VolumeMountDevice'));
    expect(schema('VolumeMountDevice').required).toEqual(['volume_id']);
    expect(prop('VolumeMountDevice', 'mount_config').type).toBe('object');
    for (const s of ['BindResponse', 'FetchBindingResponse']) {
      expect(prop(s, 'endpoints').items).toEqual({ $ref: '#/components/schemas/BindingEndpoint' });
      expect(prop(s, 'volume_mounts').items).toEqual({ $ref: '#/components/schemas/VolumeMount' });
    }
    expect(prop('FetchBindingResponse', 'parameters').type).toBe('object');
  });

  test('last_operation and errors carry state, instance_usable and update_repeatable', () => {
    expect(schema('LastOperationResponse').required).toEqual(['state']);
    expect(prop('LastOperationResponse', 'state').enum).toEqual(['in progress', 'succeeded', 'failed']);
    for (const s of ['LastOperationResponse', 'ErrorResponse']) {
      expect(prop(s, 'instance_usable').type).toBe('boolean');
      expect(prop(s, 'update_repeatable').type).toBe('boolean');
    }
    expect(Object.keys(schema('ErrorResponse').properties ?? {}).sort()).toEqual([
      'description',
      'error',
      'instance_usable',
      'update_repeatable',
    ]);
    expect(schema('ErrorResponse').required ?? []).toEqual([]);
  });

  test('X-Broker-API-Request-Identity is documented on requests and responses', () => {
    const param = doc.components.parameters.RequestIdentity;
    expect(param).toEqual(expect.objectContaining({ name: 'X-Broker-API-Request-Identity', in: 'header' }));
    for (const id of ALL_IDS) {
      for (const status of Object.keys(op(id).op.responses)) {
        const h = response(id, status).headers?.['X-Broker-API-Request-Identity'];
        expect({ id, status, type: h?.schema?.type, required: h?.required }).toEqual({
          id,
          status,
          type: 'string',
          required: false,
        });
      }
    }
  });

  test('Retry-After is documented on both last_operation 200 responses', () => {
    for (const id of ['getInstanceLastOperation', 'getBindingLastOperation']) {
      const h = response(id, '200').headers?.['Retry-After'];
      expect(h?.schema?.type).toBe('string');
      expect(h?.required).toBe(false);
    }
  });

  test('410 on deprovision, unbind and both last_operation endpoints', () => {
    for (const id of ['deprovisionInstance', 'unbindBinding', 'getInstanceLastOperation', 'getBindingLastOperation']) {
      expect(response(id, '410').description).toMatch(/\S/);
    }
  });

  test('412 on every operation', () => {
    for (const id of ALL_IDS) {
      expect(op(id).op.responses['412']).toEqual({ $ref: '#/components/responses/PreconditionFailed' });
    }
    expect(response('getCatalog', '412').description).toMatch(/X-Broker-API-Version/);
  });

  test('422 on provision, update, bind, deprovision and unbind', () => {
    for (const id of ['provisionInstance', 'updateInstance', 'bindBinding', 'deprovisionInstance', 'unbindBinding']) {
      expect(response(id, '422').description).toMatch(/AsyncRequired/);
    }
    expect(response('provisionInstance', '422').description).toMatch(/MaintenanceInfoConflict/);
    expect(response('updateInstance', '422').description).toMatch(/MaintenanceInfoConflict/);
    expect(response('bindBinding', '422').description).toMatch(/RequiresApp/);
  });

  test('vendor extension fields are allowed on every spec-defined object', () => {
    for (const name of SCHEMA_NAMES) {
      expect({ name, additionalProperties: schema(name).additionalProperties }).toEqual({
        name,
        additionalProperties: true,
      });
    }
  });
});
