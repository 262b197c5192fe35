import { createHash, randomBytes } from 'node:crypto';
import type { IdentityStore } from './store';
import { timestamp } from './store';

/**
 * Opaque bearer tokens: 256 random bits, handed to the caller once. The controller keeps
 * only their SHA-256 digest, so a copy of the database cannot be replayed as a login.
 */

const TOKEN_BYTES = 32;
// base64url of 32 bytes; anything else is refused before it reaches the database.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedToken {
  token: string;
  expiresInSeconds: number;
  expiresAt: number;
}

export type TokenCheck =
  | { valid: true; userGuid: string }
  | { valid: false; reason: 'malformed' | 'unknown' | 'expired' };

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export class AccessTokens {
  constructor(
    private readonly identities: IdentityStore,
    private readonly validitySeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(userGuid: string): IssuedToken {
    const now = this.now();
    // Expired tokens are useless; dropping them here keeps the table as small as the live logins.
    this.identities.deleteExpiredTokens(now);
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresAt = now + this.validitySeconds * 1000;
    this.identities.insertToken(digestOf(token).toString('hex'), { userGuid, expiresAt }, timestamp(new Date(now)));
    return { token, expiresInSeconds: this.validitySeconds, expiresAt };
  }

  check(token: string): TokenCheck {
    if (!TOKEN_SHAPE.test(token)) return { valid: false, reason: 'malformed' };
    // The database looks the digest up, never the token: how long that takes depends on the
    // digest, whose bytes a caller cannot steer, so it tells nothing about a stored token.
    const stored = this.identities.token(digestOf(token).toString('hex'));
    if (!stored) return { valid: false, reason: 'unknown' };
    if (stored.expiresAt <= this.now()) return { valid: false, reason: 'expired' };
    return { valid: true, userGuid: stored.userGuid };
  }

  /** Logging out: the token stops working at once. False when it was not a live token. */
  revoke(token: string): boolean {
    if (!TOKEN_SHAPE.test(token)) return false;
    return this.identities.deleteToken(digestOf(token).toString('hex'));
  }
}
