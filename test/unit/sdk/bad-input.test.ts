import { request as httpRequest } from 'node:http';
import type { Test } from 'supertest';
import type { BindingRecord, InstanceRecord, Versioned } from '../../../sdk';
import { OTHER_PLAN, OTHER_SERVICE_ID, PLAN_LARGE, PLAN_SMALL, SERVICE_ID } from '../../support/fixtures';
import { bindBody, closeBrokers, deleteQuery, paths, provisionBody, startBroker, type TestBroker } from '../../support/osb-harness';

/**
 * Bad input, as a table. Every row must be refused with a 4xx whose description names the
 * problem, and must change nothing: no store write, the pre-existing instance and binding
 * read exactly as before, and the broker was not called.
 */

const BODY_LIMIT = 2048;
const EXISTING = 'inst-1';
const BINDING = 'bind-1';

interface BadInput {
  method: 'GET' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** An object is sent as JSON; a string is sent verbatim. */
  body?: unknown;
  contentType?: string;
  status: number;
  error: string;
  description: RegExp;
}

type Row = [string, BadInput];

const NEW = 'inst-new';
const json = 'application/json';
const tooLarge = { name: 'x'.repeat(BODY_LIMIT) };
const longId = 'a'.repeat(300);

const put = (path: string, body: unknown, description: RegExp, extra: Partial<BadInput> = {}): BadInput =>
  ({ method: 'PUT', path, body, status: 400, error: 'BadRequest', description, ...extra });
const patch = (body: unknown, description: RegExp, extra: Partial<BadInput> = {}): BadInput =>
  ({ method: 'PATCH', path: paths.instance(EXISTING), body, status: 400, error: 'BadRequest', description, ...extra });
const del = (path: string, description: RegExp): BadInput => ({ method: 'DELETE', path, status: 400, error: 'BadRequest', description });
const get = (path: string, description: RegExp): BadInput => ({ method: 'GET', path, status: 400, error: 'BadRequest', description });

/**
 * A PUT without Content-Length whose body goes out `size` bytes at a time, each piece written
 * only once the one before has left, so the server reads it in as many pieces.
 */
function putChunked(url: string, body: Buffer, size: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'PUT',
      headers: {
        authorization: `Basic ${Buffer.from('platform:correct-horse-battery').toString('base64')}`,
        'x-broker-api-version': '2.17',
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    const send = (offset: number): void => {
      if (offset >= body.length) req.end();
      else req.write(body.subarray(offset, offset + size), () => setImmediate(() => send(offset + size)));
    };
    send(0);
  });
}

const provisionPath = paths.instance(NEW);
const bindPath = paths.binding(EXISTING, 'bind-new');

const notObject = (field: string) => new RegExp(`^${field.replace('.', '\\.')} must be a JSON object`);

const bodyRows: Row[] = [
  // Malformed and mistyped bodies.
  ['provision: malformed JSON', put(provisionPath, '{"service_id": "svc', /not valid JSON/, { contentType: json })],
  ['provision: the body is an array', put(provisionPath, [provisionBody()], /must be a JSON object, not an array/)],
  ['provision: the body is null', put(provisionPath, 'null', /must be a JSON object, not null/, { contentType: json })],
  ['provision: the body is a string', put(provisionPath, '"service_id"', /must be a JSON object, not string/, { contentType: json })],
  ['provision: the body is a number', put(provisionPath, '42', /must be a JSON object, not number/, { contentType: json })],
  ['provision: the body is empty', put(provisionPath, '', /it is empty/, { contentType: json })],
  ['provision: parameters is an array', put(provisionPath, provisionBody({ parameters: [{ size: 3 }] }), notObject('parameters'))],
  ['provision: parameters is a string', put(provisionPath, provisionBody({ parameters: 'size=3' }), notObject('parameters'))],
  ['provision: context is an array', put(provisionPath, provisionBody({ context: [{ platform: 'cloudfoundry' }] }), notObject('context'))],
  ['provision: context is a string', put(provisionPath, provisionBody({ context: 'cloudfoundry' }), notObject('context'))],
  ['provision: context has an empty platform', put(provisionPath, provisionBody({ context: { platform: '' } }), /context\.platform must be a non-empty string/)],
  ['provision: maintenance_info is a string', put(provisionPath, provisionBody({ maintenance_info: '1.0.0' }), notObject('maintenance_info'))],
  ['provision: maintenance_info has no version', put(provisionPath, provisionBody({ maintenance_info: {} }), /maintenance_info\.version must be a non-empty string/)],
  ['provision: the body is over the limit', put(provisionPath, provisionBody({ parameters: tooLarge }), /larger than the limit of 2048 bytes/, { status: 413, error: 'PayloadTooLarge' })],
  ['provision: text/plain', put(provisionPath, JSON.stringify(provisionBody()), /Content-Type must be application\/json, not "text\/plain"/, { contentType: 'text/plain' })],
  ['provision: a form body', put(provisionPath, 'service_id=x&plan_id=y', /Content-Type must be application\/json/, { contentType: 'application/x-www-form-urlencoded' })],
  // Missing and unknown ids in the body.
  ['provision: service_id is missing', put(provisionPath, provisionBody({ service_id: undefined }), /^service_id is required/)],
  ['provision: service_id is empty', put(provisionPath, provisionBody({ service_id: '' }), /^service_id must be a non-empty string/)],
  ['provision: service_id is a number', put(provisionPath, provisionBody({ service_id: 42 }), /^service_id must be a non-empty string/)],
  ['provision: service_id is an object', put(provisionPath, provisionBody({ service_id: { $ne: null } }), /^service_id must be a non-empty string/)],
  ['provision: organization_guid is empty', put(provisionPath, provisionBody({ organization_guid: '' }), /^organization_guid must be a non-empty string/)],
  ['provision: an unknown service_id', put(provisionPath, provisionBody({ service_id: 'svc-unknown' }), /service_id "svc-unknown" is not in the catalog/)],
  ['provision: an unknown plan_id', put(provisionPath, provisionBody({ plan_id: 'plan-unknown' }), /plan_id "plan-unknown" is not in the catalog/)],
  ['provision: service_id is a path', put(provisionPath, provisionBody({ service_id: '../../etc/passwd' }), /service_id "\.\.\/\.\.\/etc\/passwd" is not in the catalog/)],
  ['provision: plan_id is markup', put(provisionPath, provisionBody({ plan_id: '<script>alert(1)</script>' }), /plan_id "<script>alert\(1\)<\/script>" is not in the catalog/)],
  ['provision: plan_id is SQL', put(provisionPath, provisionBody({ plan_id: "x' OR '1'='1" }), /plan_id "x' OR '1'='1" is not in the catalog/)],
  ['provision: service_id has a NUL byte', put(provisionPath, provisionBody({ service_id: `${SERVICE_ID}\u0000` }), /service_id ".*\\u0000" is not in the catalog/)],
  ['provision: service_id is 300 characters', put(provisionPath, provisionBody({ service_id: longId }), /service_id "a{300}" is not in the catalog/)],
  ['provision: accepts_incomplete=maybe', put(paths.instance(NEW, { accepts_incomplete: 'maybe' }), provisionBody(), /accepts_incomplete must be true or false \(got "maybe"\)/)],
  // A repeat of the existing instance with bad input changes nothing either.
  ['provision (existing id): malformed JSON', put(paths.instance(EXISTING), '{', /not valid JSON/, { contentType: json })],
  ['provision (existing id): parameters is an array', put(paths.instance(EXISTING), provisionBody({ parameters: [] }), notObject('parameters'))],

  ['update: malformed JSON', patch('{"service_id":', /not valid JSON/, { contentType: json })],
  ['update: the body is an array', patch([], /must be a JSON object, not an array/)],
  ['update: the body is null', patch('null', /must be a JSON object, not null/, { contentType: json })],
  ['update: parameters is an array', patch({ service_id: SERVICE_ID, parameters: [1] }, notObject('parameters'))],
  ['update: parameters is a string', patch({ service_id: SERVICE_ID, parameters: 'size=4' }, notObject('parameters'))],
  ['update: context is an array', patch({ service_id: SERVICE_ID, context: [] }, notObject('context'))],
  ['update: context without platform', patch({ service_id: SERVICE_ID, context: { namespace: 'ns' } }, /context\.platform must be a non-empty string/)],
  ['update: previous_values is a string', patch({ service_id: SERVICE_ID, previous_values: PLAN_SMALL }, notObject('previous_values'))],
  ['update: service_id is missing', patch({ plan_id: PLAN_LARGE }, /^service_id is required/)],
  ['update: plan_id is a number', patch({ service_id: SERVICE_ID, plan_id: 7 }, /^plan_id must be a non-empty string/)],
  ['update: an unknown plan_id', patch({ service_id: SERVICE_ID, plan_id: 'plan-unknown' }, /plan_id "plan-unknown" is not in the catalog/)],
  ['update: a plan of another service', patch({ service_id: SERVICE_ID, plan_id: OTHER_PLAN }, /plan_id "plan-other-0001" does not belong to service_id "svc-test-0001"/)],
  ['update: the service of another instance', patch({ service_id: OTHER_SERVICE_ID, parameters: { size: 2 } }, /service_id svc-other-0001 does not match the service of instance inst-1/)],
  ['update: parameters fail the schema', patch({ service_id: SERVICE_ID, parameters: { size: 0 } }, /\/size must be >= 1/)],
  ['update: accepts_incomplete=maybe', { ...patch({ service_id: SERVICE_ID }, /accepts_incomplete must be true or false/), path: paths.instance(EXISTING, { accepts_incomplete: 'maybe' }) }],
  ['update: the body is over the limit', patch({ service_id: SERVICE_ID, parameters: tooLarge }, /larger than the limit/, { status: 413, error: 'PayloadTooLarge' })],
  ['update: text/plain', patch(JSON.stringify({ service_id: SERVICE_ID }), /Content-Type must be application\/json/, { contentType: 'text/plain' })],

  ['deprovision: service_id is missing', del(paths.instance(EXISTING, { plan_id: PLAN_SMALL }), /service_id query parameter is required/)],
  ['deprovision: plan_id is missing', del(paths.instance(EXISTING, { service_id: SERVICE_ID }), /plan_id query parameter is required/)],
  ['deprovision: plan_id is empty', del(paths.instance(EXISTING, { service_id: SERVICE_ID, plan_id: '' }), /plan_id query parameter is required/)],
  ['deprovision: an unknown plan_id', del(paths.instance(EXISTING, deleteQuery('plan-unknown')), /plan_id "plan-unknown" is not in the catalog/)],
  ['deprovision: the service of another instance', del(paths.instance(EXISTING, deleteQuery(OTHER_PLAN, {}, OTHER_SERVICE_ID)), /does not match the service of instance inst-1/)],
  ['deprovision: accepts_incomplete=maybe', del(paths.instance(EXISTING, deleteQuery(PLAN_SMALL, { accepts_incomplete: 'maybe' })), /accepts_incomplete must be true or false/)],

  ['bind: malformed JSON', put(bindPath, '{"service_id"', /not valid JSON/, { contentType: json })],
  ['bind: the body is an array', put(bindPath, [bindBody()], /must be a JSON object, not an array/)],
  ['bind: bind_resource is an array', put(bindPath, bindBody({ bind_resource: [{ app_guid: 'a' }] }), notObject('bind_resource'))],
  ['bind: bind_resource is a string', put(bindPath, bindBody({ bind_resource: 'app-guid-1' }), notObject('bind_resource'))],
  ['bind: bind_resource.app_guid is a number', put(bindPath, bindBody({ bind_resource: { app_guid: 7 } }), /bind_resource\.app_guid must be a non-empty string/)],
  ['bind: parameters is an array', put(bindPath, bindBody({ parameters: [] }), notObject('parameters'))],
  ['bind: context is a string', put(bindPath, bindBody({ context: 'kubernetes' }), notObject('context'))],
  ['bind: app_guid is empty', put(bindPath, bindBody({ app_guid: '' }), /^app_guid must be a non-empty string/)],
  ['bind: predecessor_binding_id is a path', put(bindPath, bindBody({ predecessor_binding_id: '../bind-1' }), /^predecessor_binding_id must be 1 to 255 characters/)],
  ['bind: plan_id is missing', put(bindPath, bindBody({ plan_id: undefined }), /^plan_id is required/)],
  ['bind: a plan other than the instance\'s', put(bindPath, bindBody({ plan_id: PLAN_LARGE }), /plan_id plan-large-0001 does not match the plan of instance inst-1/)],
  ['bind: an unknown service_id', put(bindPath, bindBody({ service_id: '../../etc' }), /service_id "\.\.\/\.\.\/etc" is not in the catalog/)],
  ['bind: parameters fail the schema', put(bindPath, bindBody({ parameters: { admin: true } }), /\/admin is not allowed/)],
  ['bind: accepts_incomplete=maybe', put(paths.binding(EXISTING, 'bind-new', { accepts_incomplete: 'maybe' }), bindBody(), /accepts_incomplete must be true or false/)],
  ['bind: the body is over the limit', put(bindPath, bindBody({ parameters: tooLarge }), /larger than the limit/, { status: 413, error: 'PayloadTooLarge' })],
  ['bind: text/plain', put(bindPath, JSON.stringify(bindBody()), /Content-Type must be application\/json/, { contentType: 'text/plain' })],
  ['bind (existing id): parameters is an array', put(paths.binding(EXISTING, BINDING), bindBody({ parameters: [] }), notObject('parameters'))],

  ['unbind: plan_id is missing', del(paths.binding(EXISTING, BINDING, { service_id: SERVICE_ID }), /plan_id query parameter is required/)],
  ['unbind: accepts_incomplete=maybe', del(paths.binding(EXISTING, BINDING, deleteQuery(PLAN_SMALL, { accepts_incomplete: 'maybe' })), /accepts_incomplete must be true or false/)],

  ['last_operation: an empty operation', get(paths.instanceLastOperation(EXISTING, { operation: '' }), /operation must not be empty/)],
  ['last_operation: an unknown service_id hint', get(paths.instanceLastOperation(EXISTING, { service_id: 'svc-unknown' }), /service_id "svc-unknown" is not in the catalog/)],
  ['binding last_operation: an empty plan_id hint', get(paths.bindingLastOperation(EXISTING, BINDING, { plan_id: '' }), /plan_id must not be empty/)],
];

const HOSTILE_IDS: Array<[string, string, RegExp]> = [
  ['an encoded path traversal', '..%2F..%2Fetc', /"\.\.\/\.\.\/etc"/],
  ['quotes', '%22quoted%22', /"\\"quoted\\""/],
  ['300 characters', longId, /\(300 characters\)/],
  ['unicode', '%C3%A9t%C3%A9', /"été"/],
  ['a single dot', '.', /\(got "\."\)/],
  ['two dots', '..', /\(got "\.\."\)/],
  ['an encoded space', 'a%20b', /"a b"/],
  ['an encoded NUL', 'a%00b', /"a\\u0000b"/],
  ['a backslash', 'a%5Cb', /"a\\\\b"/],
];

const idRows: Row[] = HOSTILE_IDS.flatMap(([what, id, shown]): Row[] => {
  const instanceId = new RegExp(`^instance_id must be 1 to 255 characters from A-Z a-z 0-9 - \\. _ ~ .*${shown.source}`);
  const bindingId = new RegExp(`^binding_id must be 1 to 255 characters from A-Z a-z 0-9 - \\. _ ~ .*${shown.source}`);
  return [
    [`provision: instance_id is ${what}`, put(`/v2/service_instances/${id}`, provisionBody(), instanceId)],
    [`update: instance_id is ${what}`, { ...patch({ service_id: SERVICE_ID, parameters: { size: 2 } }, instanceId), path: `/v2/service_instances/${id}` }],
    [`deprovision: instance_id is ${what}`, del(`/v2/service_instances/${id}?service_id=${SERVICE_ID}&plan_id=${PLAN_SMALL}`, instanceId)],
    [`fetch: instance_id is ${what}`, get(`/v2/service_instances/${id}`, instanceId)],
    [`bind: binding_id is ${what}`, put(`/v2/service_instances/${EXISTING}/service_bindings/${id}`, bindBody(), bindingId)],
    [`bind: instance_id is ${what}`, put(`/v2/service_instances/${id}/service_bindings/bind-new`, bindBody(), instanceId)],
    [`unbind: binding_id is ${what}`, del(`/v2/service_instances/${EXISTING}/service_bindings/${id}?service_id=${SERVICE_ID}&plan_id=${PLAN_SMALL}`, bindingId)],
  ];
});

const missingIdRows: Row[] = [
  ['provision: no instance_id in the path', { ...put('/v2/service_instances/', provisionBody(), /No such endpoint: PUT \/v2\/service_instances\//), status: 404, error: 'NotFound' }],
  ['bind: no binding_id in the path', { ...put(`/v2/service_instances/${EXISTING}/service_bindings/`, bindBody(), /No such endpoint/), status: 404, error: 'NotFound' }],
  ['bind: an empty instance_id in the path', put('/v2/service_instances//service_bindings/bind-new', bindBody(), /^instance_id must not be empty/)],
  ['unbind: no binding_id in the path', { ...del(`/v2/service_instances/${EXISTING}/service_bindings/?service_id=${SERVICE_ID}`, /No such endpoint: DELETE/), status: 404, error: 'NotFound' }],
];

describe('bad input changes nothing', () => {
  let t: TestBroker;
  let before: { instance: Versioned<InstanceRecord> | undefined; binding: Versioned<BindingRecord> | undefined };

  beforeEach(async () => {
    t = startBroker({ bodyLimitBytes: BODY_LIMIT });
    expect((await t.osb.put(paths.instance(EXISTING), provisionBody())).status).toBe(201);
    expect((await t.osb.put(paths.binding(EXISTING, BINDING), bindBody())).status).toBe(201);
    before = { instance: await t.store.getInstance(EXISTING), binding: await t.store.getBinding(EXISTING, BINDING) };
    t.broker.calls.length = 0;
    t.store.writes = 0;
  });

  afterEach(closeBrokers);

  function send(input: BadInput): Test {
    const test =
      input.method === 'GET' ? t.osb.get(input.path)
        : input.method === 'DELETE' ? t.osb.delete(input.path)
          : input.method === 'PUT' ? t.osb.put(input.path)
            : t.osb.patch(input.path);
    if (input.contentType) test.set('Content-Type', input.contentType);
    if (input.body !== undefined) test.send(input.body as object);
    return test;
  }

  it.each([...bodyRows, ...idRows, ...missingIdRows])('%s', async (_name, input) => {
    const res = await send(input);
    expect(res.status).toBe(input.status);
    expect(res.body).toEqual({ error: input.error, description: expect.stringMatching(input.description) });
    expect(t.broker.calls).toEqual([]);
    expect(t.store.writes).toBe(0);
    expect(await t.store.getInstance(EXISTING)).toEqual(before.instance);
    expect(await t.store.getBinding(EXISTING, BINDING)).toEqual(before.binding);
    expect(await t.store.getInstance(NEW)).toBeUndefined();
  });

  it('a chunked body (no Content-Length) over the limit is refused with 413', async () => {
    const { url, server } = await t.app.listen(0);
    try {
      const json = Buffer.from(JSON.stringify(provisionBody({ parameters: tooLarge })));
      const { status, text } = await putChunked(`${url}${paths.instance(NEW)}`, json, 256);
      expect(status).toBe(413);
      expect(JSON.parse(text)).toEqual({ error: 'PayloadTooLarge', description: expect.stringMatching(/limit of 2048 bytes/) });
      expect(t.broker.calls).toEqual([]);
      expect(t.store.writes).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a body in many small chunks, with multi-byte characters split between them, is read whole', async () => {
    const { url, server } = await t.app.listen(0);
    try {
      const context = { platform: 'cloudfoundry', note: 'grüße, 東京 🙂'.repeat(10) };
      const bytes = Buffer.from(JSON.stringify(provisionBody({ context })));
      // Seven bytes at a time: the two- to four-byte characters above are cut in the middle.
      const { status } = await putChunked(`${url}${paths.instance(NEW)}`, bytes, 7);
      expect(status).toBe(201);
      expect((await t.store.getInstance(NEW))!.record.context).toEqual(context);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('null for an optional object field reads as absent (as brokerapi and Spring treat it), not as bad input', async () => {
    const res = await t.osb.patch(paths.instance(EXISTING), { service_id: SERVICE_ID, parameters: null, context: null, maintenance_info: null });
    expect(res.status).toBe(200);
    expect(t.broker.calls).toEqual([]);
    expect((await t.store.getInstance(EXISTING))!.record).toEqual(before.instance!.record);
  });
});
