import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** How platforms prove who they are. HTTP Basic is what the spec mandates by default. */
export interface BasicCredentials {
  username: string;
  password: string;
}

/** Any other scheme (bearer tokens, mTLS via req.socket): return true to let the request in. */
export type AuthHook = (req: IncomingMessage) => boolean | Promise<boolean>;

export type AuthOption = BasicCredentials | BasicCredentials[] | AuthHook | { none: true };

export type Authenticator = ((req: IncomingMessage) => boolean | Promise<boolean>) & { kind: 'basic' | 'custom' | 'none' };

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function createAuthenticator(option: AuthOption): Authenticator {
  if (typeof option === 'function') return Object.assign((req: IncomingMessage) => option(req), { kind: 'custom' as const });
  if ('none' in option) return Object.assign(() => true, { kind: 'none' as const });
  const pairs = Array.isArray(option) ? option : [option];
  if (pairs.length === 0) throw new Error('auth: at least one credential pair is required');
  for (const pair of pairs) {
    if (!pair.username || !pair.password) throw new Error('auth: usernames and passwords must be non-empty');
  }
  // Comparing fixed-length digests keeps the comparison time independent of the input.
  const expected = pairs.map((p) => digest(`${p.username}:${p.password}`));
  // A platform sends the same header on every request: remembering the few headers already
  // proven valid saves a hash per request. Failures are never cached.
  const accepted = new Set<string>();
  const check = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization;
    if (!header) return false;
    if (accepted.has(header)) return true;
    if (!/^basic /i.test(header)) return false;
    const presented = digest(Buffer.from(header.slice(6).trim(), 'base64').toString('utf8'));
    let matched = false;
    for (const candidate of expected) matched = timingSafeEqual(candidate, presented) || matched;
    if (matched && accepted.size < 64) accepted.add(header);
    return matched;
  };
  return Object.assign(check, { kind: 'basic' as const });
}
