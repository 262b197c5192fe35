import { randomInt } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 characters of 62 give about 190 bits; alphanumeric so no client or URL needs escaping. */
export const PASSWORD_LENGTH = 32;

/** A binding password from the crypto RNG; randomInt draws without modulo bias. */
export function generatePassword(length: number = PASSWORD_LENGTH): string {
  if (!Number.isInteger(length) || length < 24) throw new Error('binding passwords must be at least 24 characters');
  let password = '';
  for (let i = 0; i < length; i++) password += ALPHABET[randomInt(ALPHABET.length)];
  return password;
}
