import { createHash } from 'node:crypto';

/**
 * Every MySQL object the broker makes is named from OSB ids, which come from the platform.
 * Names keep only [a-z0-9_] so they are safe even before quoting, carry a hash of the full id
 * so two ids never share a name (even ids that differ only in case or in dropped characters),
 * and fit MySQL's limits: 64 characters for a database, 32 for a user (MySQL 5.7+).
 */

export const MAX_DATABASE_NAME_LENGTH = 64;
export const MAX_USER_NAME_LENGTH = 32;

const DATABASE_PREFIX = 'osb_';
const USER_PREFIX = 'u_';
/** 64 bits of SHA-256: a collision among the ids one broker ever sees is not a practical risk. */
const HASH_LENGTH = 16;

/** The database that holds one service instance. */
export function databaseName(instanceId: string): string {
  return derive(DATABASE_PREFIX, MAX_DATABASE_NAME_LENGTH, instanceId, ['database', instanceId]);
}

/**
 * The user of one binding. Binding ids are only unique within an instance, while MySQL users
 * are server-wide, so the hash covers both ids.
 */
export function bindingUserName(instanceId: string, bindingId: string): string {
  return derive(USER_PREFIX, MAX_USER_NAME_LENGTH, bindingId, ['user', instanceId, bindingId]);
}

/** True for names this module could have produced: the only ones the broker builds SQL from. */
export function isSafeName(name: string, maxLength: number): boolean {
  return name.length > 0 && name.length <= maxLength && /^[a-z0-9_]+$/.test(name);
}

export { quoteIdentifier } from '../../sdk/store/mysql/connection';

/**
 * The database name as a GRANT pattern. In database-level grants `_` and `%` are wildcards,
 * so an unescaped `osb_a` would also grant on `osbXa`; escaping makes the grant exact.
 * information_schema.SCHEMA_PRIVILEGES reports grants in this escaped form too.
 */
export function grantDatabasePattern(database: string): string {
  return database.replace(/[\\_%]/g, (c) => `\\${c}`);
}

/** How information_schema names an account in GRANTEE columns. */
export function granteeOf(user: string, host: string): string {
  return `'${user}'@'${host}'`;
}

function derive(prefix: string, maxLength: number, readable: string, hashed: string[]): string {
  const hash = createHash('sha256').update(JSON.stringify(hashed)).digest('hex').slice(0, HASH_LENGTH);
  const room = maxLength - prefix.length - 1 - HASH_LENGTH;
  const part = slug(readable, room);
  return part === '' ? `${prefix}${hash}` : `${prefix}${part}_${hash}`;
}

/** The id reduced to what an operator can still recognise; the hash carries uniqueness. */
function slug(value: string, maxLength: number): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+/, '')
    .slice(0, Math.max(0, maxLength))
    .replace(/_+$/, '');
}
