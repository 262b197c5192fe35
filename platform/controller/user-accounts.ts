import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { apiErrors } from './errors';
import { hashPassword, verifyPassword } from './password-hash';
import type { UserRecord } from './records';
import { timestamp, type ControllerStore } from './store';

/** Creating users and the bootstrap admin: the rules on names and passwords live here. */

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,254}$/;

export function usernameProblem(username: unknown, field = 'username'): string | undefined {
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    return `'${field}' must be 1 to 255 letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit`;
  }
  return undefined;
}

/** Never quotes the password. */
export function passwordProblem(password: unknown, field = 'password'): string | undefined {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    return `'${field}' must be a string of ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`;
  }
  return undefined;
}

export interface NewUser {
  username: string;
  password: string;
  admin: boolean;
}

export async function createUser(store: ControllerStore, input: NewUser): Promise<UserRecord> {
  const passwordHash = await hashPassword(input.password);
  // Checked after the hash so nothing awaits between the check and the insert.
  if (store.identities.userByName(input.username)) throw apiErrors.unprocessable(`User '${input.username}' already exists.`);
  const now = timestamp();
  const user: UserRecord = { guid: randomUUID(), username: input.username, admin: input.admin, createdAt: now, updatedAt: now };
  store.identities.insertUser(user, passwordHash);
  return user;
}

/**
 * The admin `osbkit up` creates: made on first start, and on every later start given the
 * password it was started with (as UAA's bootstrap users are), so the password file stays
 * the one place that says how to log in as it.
 */
export async function ensureBootstrapAdmin(store: ControllerStore, username: string, password: string, logger: Logger): Promise<UserRecord> {
  const nameProblem = usernameProblem(username, 'bootstrap admin username');
  const secretProblem = passwordProblem(password, 'bootstrap admin password');
  if (nameProblem || secretProblem) throw new Error([nameProblem, secretProblem].filter(Boolean).join('; '));
  const existing = store.identities.userByName(username);
  if (!existing) {
    const user = await createUser(store, { username, password, admin: true });
    logger.info({ user: user.guid, username }, 'created the bootstrap admin');
    return user;
  }
  const stored = store.identities.passwordHash(existing.guid);
  const samePassword = stored !== undefined && (await verifyPassword(password, stored));
  if (samePassword && existing.admin) return existing;
  store.identities.updateUser(existing.guid, { admin: true, ...(samePassword ? {} : { passwordHash: await hashPassword(password) }) }, timestamp());
  logger.info({ user: existing.guid, username, passwordChanged: !samePassword }, 'updated the bootstrap admin');
  return { ...existing, admin: true };
}
