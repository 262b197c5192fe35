import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

/**
 * Encryption at rest for what the database must not hold in clear: broker passwords,
 * binding credentials and volume mounts, app environment variables. AES-256-GCM with a
 * per-value random nonce; the column a value belongs to is bound in as associated data, so
 * a ciphertext copied into another row or column does not decrypt.
 */

const KEY_FILE = 'controller.key';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Reads `<dataDir>/controller.key`, creating it (mode 0600) on first start. */
  static openOrCreate(dataDir: string, logger: Logger): SecretBox {
    const path = join(dataDir, KEY_FILE);
    let encoded: string;
    try {
      encoded = readFileSync(path, 'utf8').trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      encoded = randomBytes(KEY_BYTES).toString('base64');
      // 'wx' refuses to overwrite: two controllers starting together must not mint two keys.
      writeFileSync(path, `${encoded}\n`, { mode: 0o600, flag: 'wx' });
      logger.info({ path }, 'created the controller encryption key');
    }
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      chmodSync(path, 0o600);
      logger.warn({ path, mode: mode.toString(8) }, 'the controller key was readable by others; its mode is now 0600');
    }
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`${path} does not hold a ${KEY_BYTES}-byte base64 key`);
    return new SecretBox(key);
  }

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== KEY_BYTES) throw new Error(`the key must be ${KEY_BYTES} bytes`);
    return new SecretBox(Buffer.from(key));
  }

  seal(plaintext: string, purpose: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT}:${Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string, purpose: string): string {
    const [format, payload] = sealed.split(':', 2);
    if (format !== FORMAT || payload === undefined) throw new Error(`unknown encrypted value format for ${purpose}`);
    const raw = Buffer.from(payload, 'base64');
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw new Error(`the encrypted value for ${purpose} is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(raw.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  sealJson(value: unknown, purpose: string): string {
    return this.seal(JSON.stringify(value), purpose);
  }

  openJson(sealed: string, purpose: string): unknown {
    return JSON.parse(this.open(sealed, purpose)) as unknown;
  }
}
