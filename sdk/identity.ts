import { DEFAULT_JSON_DEPTH_LIMIT, exceedsJsonDepth, isPlainObject } from './json';

/**
 * X-Broker-API-Originating-Identity: `<platform> <base64 JSON>`, parsed into a value whose
 * shape depends on the platform profile.
 */
export type OriginatingIdentity =
  | { platform: 'cloudfoundry'; userId: string; raw: Record<string, unknown> }
  | { platform: 'kubernetes'; username: string; uid: string; groups: string[]; extra: Record<string, unknown>; raw: Record<string, unknown> }
  | { platform: string; raw: Record<string, unknown> };

export type IdentityParseResult = { ok: true; identity: OriginatingIdentity } | { ok: false; problem: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseOriginatingIdentity(header: string): IdentityParseResult {
  const match = /^(\S+) (\S+)$/.exec(header.trim());
  if (!match) return { ok: false, problem: 'must be "<platform> <base64-encoded JSON object>"' };
  const platform = match[1]!;
  const encoded = match[2]!;
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) return { ok: false, problem: 'the value is not valid base64' };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    return { ok: false, problem: 'the value does not decode to JSON' };
  }
  if (!isPlainObject(value)) return { ok: false, problem: 'the value must decode to a JSON object' };
  // The value reaches the broker's code, which may serialise or log it recursively.
  if (exceedsJsonDepth(value, DEFAULT_JSON_DEPTH_LIMIT)) {
    return { ok: false, problem: `the value nests objects and arrays more than ${DEFAULT_JSON_DEPTH_LIMIT} levels deep, which is the limit` };
  }

  if (platform === 'cloudfoundry') {
    if (typeof value.user_id !== 'string' || value.user_id === '') {
      return { ok: false, problem: 'a cloudfoundry identity must carry a non-empty "user_id"' };
    }
    return { ok: true, identity: { platform, userId: value.user_id, raw: value } };
  }
  if (platform === 'kubernetes') {
    if (typeof value.username !== 'string' || value.username === '') {
      return { ok: false, problem: 'a kubernetes identity must carry a non-empty "username"' };
    }
    const groups = Array.isArray(value.groups) ? value.groups.filter((g): g is string => typeof g === 'string') : [];
    return {
      ok: true,
      identity: {
        platform,
        username: value.username,
        uid: typeof value.uid === 'string' ? value.uid : '',
        groups,
        extra: isPlainObject(value.extra) ? value.extra : {},
        raw: value,
      },
    };
  }
  return { ok: true, identity: { platform, raw: value } };
}

/** Builds the header value; used by the client and by platforms. */
export function formatOriginatingIdentity(platform: string, value: Record<string, unknown>): string {
  return `${platform} ${Buffer.from(JSON.stringify(value)).toString('base64')}`;
}

/** The name of the user who caused a request, for audit logs. */
export function identityUser(identity: OriginatingIdentity | undefined): string | undefined {
  if (!identity) return undefined;
  if ('userId' in identity) return identity.userId;
  if ('username' in identity) return identity.username;
  return undefined;
}
