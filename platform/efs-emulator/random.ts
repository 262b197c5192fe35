import { randomBytes } from 'node:crypto';

/**
 * Where the emulator's chance comes from: fault decisions and resource ids. With a seed it is
 * a fixed sequence (mulberry32), so a test that seeds it sees the same faults every run.
 */
export interface RandomSource {
  /** A number in [0, 1). */
  next(): number;
  /** `count` lower-case hex digits. */
  hex(count: number): string;
}

export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    hex: (count) => Array.from({ length: count }, () => Math.floor(next() * 16).toString(16)).join(''),
  };
}

export function cryptoRandom(): RandomSource {
  return {
    next: () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48,
    hex: (count) => randomBytes(Math.ceil(count / 2)).toString('hex').slice(0, count),
  };
}
