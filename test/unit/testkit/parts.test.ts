import { parseConformanceConfig } from '../../../sdk/testkit/config';
import { invalidParameters, otherValidParameters } from '../../../sdk/testkit/schema-values';
import { bindingProblems, errorBodyProblems, lastOperationProblems, retryAfterProblem } from '../../../sdk/testkit/shapes';

/** The testkit's pure parts: its options file, what it derives from schemas, and the body rules it applies. */

describe('parseConformanceConfig', () => {
  it('takes plans, defaults and run options', () => {
    expect(parseConformanceConfig({
      plans: { 'mysql/small': { parameters: { a: 1 }, bindParameters: {}, async: true }, free: { skip: 'needs a share' } },
      defaultPlan: { async: false },
      only: ['mysql/small'],
      checks: ['bind.'],
      strict: true,
      platform: 'kubernetes',
      requestTimeoutMs: 5000,
    })).toEqual({
      plans: { 'mysql/small': { parameters: { a: 1 }, bindParameters: {}, async: true }, free: { skip: 'needs a share' } },
      defaultPlan: { async: false },
      only: ['mysql/small'],
      checks: ['bind.'],
      strict: true,
      platform: 'kubernetes',
      requestTimeoutMs: 5000,
    });
  });

  it('names every problem instead of ignoring a typo', () => {
    expect(() => parseConformanceConfig({ plan: {}, plans: { small: { parametres: {}, async: 'yes' } }, only: 'small', apiVersion: '3' })).toThrow(
      'the conformance options are invalid: plan is not an option (username, password, plans, defaultPlan, only, checks, strict, apiVersion, requestTimeoutMs, operationTimeoutMs, maxPollIntervalMs, platform, idPrefix); plans.small.parametres is not an option (parameters, updateParameters, bindParameters, bindResource, async, skip); plans.small.async must be true or false; only must be a list of non-empty strings; apiVersion must look like 2.17, not "3"',
    );
    expect(() => parseConformanceConfig([])).toThrow('the options must be a JSON object');
    expect(() => parseConformanceConfig({ idPrefix: 'a/b' })).toThrow('idPrefix must be 1 to 40 characters from A-Z a-z 0-9 - . _ ~');
  });
});

describe('parameters derived from a schema', () => {
  const schema = { type: 'object', additionalProperties: false, properties: { size: { type: 'integer' }, ro: { type: 'boolean' } }, required: ['size'] };

  it('breaks what the schema states plainly: additionalProperties, then a typed property, then a required one', () => {
    expect(invalidParameters(schema, { size: 1 })).toEqual({ parameters: { size: 1, 'osbkit-check-unknown': true }, why: '"osbkit-check-unknown" is not a property the schema allows' });
    expect(invalidParameters({ ...schema, additionalProperties: true }, { size: 1 })).toEqual({ parameters: { size: 'not a number' }, why: '"size" must be of type integer' });
    expect(invalidParameters({ type: 'object', properties: { size: { type: ['string', 'integer'] } }, required: ['size'] }, { size: 1 })).toEqual({ parameters: {}, why: '"size" is required' });
    expect(invalidParameters({ type: 'object', properties: { size: { type: ['string', 'integer'] } } }, {})).toBeUndefined();
    expect(invalidParameters(undefined, {})).toBeUndefined();
  });

  it('derives a second valid set by flipping a boolean, or nothing', () => {
    expect(otherValidParameters(schema, { size: 1 })).toEqual({ size: 1, ro: true });
    expect(otherValidParameters(schema, { size: 1, ro: true })).toEqual({ size: 1, ro: false });
    expect(otherValidParameters({ type: 'object', properties: { n: { type: 'string' } } }, {})).toBeUndefined();
  });
});

describe('body rules', () => {
  it('error bodies: one CamelCase word, a non-empty description, the flags only where allowed', () => {
    expect(errorBodyProblems({ error: 'BadRequest', description: 'x' }, 'other')).toEqual([]);
    expect(errorBodyProblems({ error: 'bad request', description: '', instance_usable: true, update_repeatable: 'no' }, 'deprovision')).toEqual([
      '"error" must be one CamelCase word, not "bad request"',
      '"description" must be a non-empty string, not ""',
      '"update_repeatable" is allowed only on errors of updates',
      '"update_repeatable" must be a boolean',
    ]);
    expect(errorBodyProblems({ instance_usable: false }, 'other')).toEqual(['"instance_usable" is allowed only on errors of updates and deprovisions']);
  });

  it('last_operation: a known state and flags only for failed updates and deprovisions', () => {
    expect(lastOperationProblems({ state: 'failed', instance_usable: false, update_repeatable: true }, 'update')).toEqual([]);
    expect(lastOperationProblems({ state: 'done', description: '' }, 'provision')).toEqual([
      '"state" must be "in progress", "succeeded" or "failed", not "done"',
      '"description" must be a non-empty string',
    ]);
    expect(lastOperationProblems({ state: 'succeeded', instance_usable: true }, 'deprovision')).toEqual(['"instance_usable" is allowed only when an update or a deprovision failed']);
  });

  it('bindings: the requires each field needs, volume mounts, endpoints and metadata', () => {
    expect(bindingProblems({ credentials: {}, volume_mounts: [] }, ['volume_mount'])).toEqual([]);
    expect(bindingProblems({
      credentials: 'secret',
      syslog_drain_url: 'syslog://x',
      volume_mounts: [{ driver: 'd', container_dir: '/c', mode: 'x', device_type: 'shared', device: {} }],
      endpoints: [{ host: 'h', ports: [443] }],
      metadata: { expires_at: '2030-01-01T00:00:00.0Z', renew_before: '2031-01-01T00:00:00.0Z' },
    }, [])).toEqual([
      '"credentials" must be an object',
      '"syslog_drain_url" needs the offering to declare requires: [syslog_drain]',
      '"volume_mounts" needs the offering to declare requires: [volume_mount]',
      'volume_mounts[0].mode must be "r" or "rw"',
      'volume_mounts[0].device.volume_id must be a non-empty string',
      'endpoints[0].ports must hold "443" or "9000-9010" strings, not 443',
      '"metadata.renew_before" must not be after "metadata.expires_at"',
    ]);
  });

  it('Retry-After: seconds or an HTTP date', () => {
    expect(retryAfterProblem('5')).toBeUndefined();
    expect(retryAfterProblem('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
    expect(retryAfterProblem('soon')).toBe('Retry-After must be a number of seconds or an HTTP date, not "soon"');
  });
});
