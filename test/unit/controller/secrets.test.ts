import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SecretBox } from '../../../platform/controller/secrets';

const silent = pino({ level: 'silent' });

describe('SecretBox', () => {
  const box = SecretBox.fromKey(randomBytes(32));

  test('round-trips text and JSON', () => {
    expect(box.open(box.seal('hunter2', 'p'), 'p')).toBe('hunter2');
    expect(box.openJson(box.sealJson({ a: [1, 'x'] }, 'p'), 'p')).toEqual({ a: [1, 'x'] });
  });

  test('the sealed form holds no plaintext and differs every time', () => {
    const first = box.seal('hunter2', 'p');
    expect(first).not.toContain('hunter2');
    expect(Buffer.from(first.slice(3), 'base64').toString('latin1')).not.toContain('hunter2');
    expect(box.seal('hunter2', 'p')).not.toBe(first);
  });

  test('a value sealed for one purpose does not open for another', () => {
    expect(() => box.open(box.seal('hunter2', 'service_brokers.password:a'), 'service_brokers.password:b')).toThrow();
  });

  test('tampering and other keys are detected', () => {
    const sealed = box.seal('hunter2', 'p');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    expect(() => box.open(`v1:${raw.toString('base64')}`, 'p')).toThrow();
    expect(() => SecretBox.fromKey(randomBytes(32)).open(sealed, 'p')).toThrow();
    expect(() => box.open('v9:abc', 'p')).toThrow(/unknown encrypted value format/);
  });

  describe('the key file', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'osbkit-key-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    test('is created on first start with mode 0600 and reused afterwards', () => {
      const first = SecretBox.openOrCreate(dir, silent);
      const path = join(dir, 'controller.key');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const key = readFileSync(path, 'utf8');
      const sealed = first.seal('x', 'p');
      const second = SecretBox.openOrCreate(dir, silent);
      expect(readFileSync(path, 'utf8')).toBe(key);
      expect(second.open(sealed, 'p')).toBe('x');
    });

    test('a key readable by others is made private again', () => {
      SecretBox.openOrCreate(dir, silent);
      chmodSync(join(dir, 'controller.key'), 0o644);
      SecretBox.openOrCreate(dir, silent);
      expect(statSync(join(dir, 'controller.key')).mode & 0o777).toBe(0o600);
    });

    test('a key of the wrong size is refused', () => {
      writeFileSync(join(dir, 'controller.key'), randomBytes(16).toString('base64'), { mode: 0o600 });
      expect(() => SecretBox.openOrCreate(dir, silent)).toThrow(/32-byte/);
    });
  });
});
