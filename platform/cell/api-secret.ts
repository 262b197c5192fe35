import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The shared secret that makes the cell's API the controller's alone: every request carries
 * it as `Authorization: Bearer <secret>`. `osbkit up` keeps it in a file (mode 0600) whose
 * path both processes are given, never in an argument or the environment an app could read.
 */

export const MIN_API_SECRET_LENGTH = 32;

export function validApiSecret(secret: string): string {
  if (secret.length < MIN_API_SECRET_LENGTH || /\s/.test(secret)) {
    throw new Error(`the cell API secret must be at least ${MIN_API_SECRET_LENGTH} characters without whitespace`);
  }
  return secret;
}

/** Constant time whatever the presented value's length: both sides are hashed to 32 bytes first. */
export function matchesApiSecret(expected: string, presented: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

export function apiSecretHeader(secret: string): string {
  return `Bearer ${secret}`;
}
