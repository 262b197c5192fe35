import { formatOriginatingIdentity, parseOriginatingIdentity } from '../../../sdk';
import { identityUser } from '../../../sdk/identity';

/** X-Broker-API-Originating-Identity: `<platform> <base64 JSON object>`, per the OSB profile. */

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('parseOriginatingIdentity', () => {
  it('cloudfoundry: user_id becomes userId; the raw object is kept', () => {
    const raw = { user_id: '683ea748-3092-4ff4-b656-39cacc4d5360', user_name: 'ops' };
    expect(parseOriginatingIdentity(`cloudfoundry ${b64(JSON.stringify(raw))}`)).toEqual({
      ok: true,
      identity: { platform: 'cloudfoundry', userId: raw.user_id, raw },
    });
  });

  it('kubernetes: username, uid, groups and extra', () => {
    const raw = {
      username: 'duke',
      uid: 'c2dde242-5ce4-11e7-988c-000c2946f14f',
      groups: ['admin', 'dev'],
      extra: { mydata: ['data1', 'data3'] },
    };
    expect(parseOriginatingIdentity(`kubernetes ${b64(JSON.stringify(raw))}`)).toEqual({
      ok: true,
      identity: { platform: 'kubernetes', username: 'duke', uid: raw.uid, groups: ['admin', 'dev'], extra: raw.extra, raw },
    });
  });

  it('kubernetes: missing uid, groups and extra default to empty; non-string groups are dropped', () => {
    const raw = { username: 'duke', groups: ['admin', 7, null, 'dev'] };
    const parsed = parseOriginatingIdentity(`kubernetes ${b64(JSON.stringify(raw))}`);
    expect(parsed).toEqual({ ok: true, identity: { platform: 'kubernetes', username: 'duke', uid: '', groups: ['admin', 'dev'], extra: {}, raw } });
  });

  it('another platform: only the raw object', () => {
    const raw = { account: 'a-1', anything: [1, 2] };
    expect(parseOriginatingIdentity(`my-platform ${b64(JSON.stringify(raw))}`)).toEqual({ ok: true, identity: { platform: 'my-platform', raw } });
  });

  it('surrounding whitespace and unpadded base64 are accepted', () => {
    const encoded = b64('{"user_id":"u-1"}').replace(/=+$/, '');
    expect(parseOriginatingIdentity(`  cloudfoundry ${encoded}  `)).toMatchObject({ ok: true, identity: { userId: 'u-1' } });
  });

  it.each<[string, string, RegExp]>([
    ['an empty header', '', /must be "<platform> <base64-encoded JSON object>"/],
    ['no platform', b64('{"user_id":"u"}'), /must be "<platform> <base64-encoded JSON object>"/],
    ['three parts', `cloudfoundry ${b64('{}')} extra`, /must be "<platform> <base64-encoded JSON object>"/],
    ['two spaces between the parts', `cloudfoundry  ${b64('{"user_id":"u"}')}`, /must be "<platform> <base64-encoded JSON object>"/],
    ['characters outside base64', 'cloudfoundry eyJ1c2VyX2lkIjoidSJ9!', /not valid base64/],
    ['url-safe base64', `cloudfoundry ${b64('{"user_id":"??>>"}').replace(/\+/g, '-').replace(/\//g, '_')}`, /not valid base64/],
    ['an impossible base64 length', 'cloudfoundry abcde', /not valid base64/],
    ['padding in the middle', 'cloudfoundry ab==cd', /not valid base64/],
    ['base64 of non-JSON', `cloudfoundry ${b64('user_id=u')}`, /does not decode to JSON/],
    ['a JSON array', `cloudfoundry ${b64('[{"user_id":"u"}]')}`, /must decode to a JSON object/],
    ['a JSON string', `cloudfoundry ${b64('"u"')}`, /must decode to a JSON object/],
    ['JSON null', `cloudfoundry ${b64('null')}`, /must decode to a JSON object/],
    ['cloudfoundry without user_id', `cloudfoundry ${b64('{"user_name":"ops"}')}`, /cloudfoundry identity must carry a non-empty "user_id"/],
    ['cloudfoundry with an empty user_id', `cloudfoundry ${b64('{"user_id":""}')}`, /non-empty "user_id"/],
    ['cloudfoundry with a numeric user_id', `cloudfoundry ${b64('{"user_id":42}')}`, /non-empty "user_id"/],
    ['kubernetes without username', `kubernetes ${b64('{"uid":"x"}')}`, /kubernetes identity must carry a non-empty "username"/],
  ])('refuses %s', (_what, header, problem) => {
    const parsed = parseOriginatingIdentity(header);
    expect(parsed.ok).toBe(false);
    expect(parsed).toEqual({ ok: false, problem: expect.stringMatching(problem) });
  });
});

describe('formatOriginatingIdentity', () => {
  it.each<[string, Record<string, unknown>]>([
    ['cloudfoundry', { user_id: 'u-1' }],
    ['kubernetes', { username: 'duke', uid: 'x', groups: ['g'], extra: {} }],
    ['my-platform', { unicode: 'été', nested: { a: [1, null] } }],
  ])('round-trips through the parser (%s)', (platform, value) => {
    const header = formatOriginatingIdentity(platform, value);
    expect(header.startsWith(`${platform} `)).toBe(true);
    expect(header.split(' ')[1]).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const parsed = parseOriginatingIdentity(header);
    expect(parsed).toMatchObject({ ok: true, identity: { platform, raw: value } });
  });
});

describe('identityUser', () => {
  it('names the user of each profile, and nobody otherwise', () => {
    const user = (header: string) => {
      const parsed = parseOriginatingIdentity(header);
      return identityUser(parsed.ok ? parsed.identity : undefined);
    };
    expect(user(formatOriginatingIdentity('cloudfoundry', { user_id: 'u-1' }))).toBe('u-1');
    expect(user(formatOriginatingIdentity('kubernetes', { username: 'duke' }))).toBe('duke');
    expect(user(formatOriginatingIdentity('my-platform', { user: 'x' }))).toBeUndefined();
    expect(identityUser(undefined)).toBeUndefined();
  });
});
