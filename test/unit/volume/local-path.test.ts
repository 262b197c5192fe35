import { basename, dirname, join, resolve } from 'node:path';
import { localVolumeDirName, localVolumePath } from '../../../sdk/volume/local-path';

const HASHED = /^h-[0-9a-f]{64}$/;

/** A name is safe if it is one ordinary path component on any platform we run on. */
function expectSafeComponent(name: string): void {
  expect(name.length).toBeGreaterThan(2);
  expect(name.length).toBeLessThanOrEqual(102);
  expect(name).not.toMatch(/[/\\\0]/);
  expect(name).not.toBe('.');
  expect(name).not.toBe('..');
  expect(name.startsWith('.')).toBe(false);
  expect(name.startsWith('-')).toBe(false);
  expect(basename(name)).toBe(name);
}

describe('localVolumeDirName', () => {
  it.each([
    ['a GUID', '6f1c3b2e-9a44-4d7b-8c1e-2f0d5a7b9c10'],
    ['mixed unreserved characters', 'My_Volume.v2~x-1'],
    ['a name starting with a dot', '.hidden'],
    ['a name starting with a dash', '-rf'],
    ['three dots', '...'],
    ['exactly 100 characters', 'a'.repeat(100)],
  ])('keeps %s readable', (_label, id) => {
    const name = localVolumeDirName(id);
    expect(name).toBe(`v-${id}`);
    expectSafeComponent(name);
  });

  it.each([
    ['"."', '.'],
    ['".."', '..'],
    ['"../"', '../'],
    ['a traversal', '../../etc/passwd'],
    ['a slash', 'a/b'],
    ['a leading slash', '/etc'],
    ['a backslash', 'a\\b'],
    ['quotes', `it's "quoted"`],
    ['a NUL byte', 'a\0b'],
    ['a newline', 'a\nb'],
    ['a space', 'a b'],
    ['unicode', 'volumé-ü-日本'],
    ['an emoji', '📦'],
    ['a lone surrogate', '\uD800'],
    ['the empty string', ''],
    ['101 characters', 'a'.repeat(101)],
    ['300 characters', 'x'.repeat(300)],
    ['a percent-encoding', 'a%2Fb'],
    ['reserved characters', 'a:b@c?d#e'],
  ])('hashes %s', (_label, id) => {
    const name = localVolumeDirName(id);
    expect(name).toMatch(HASHED);
    expectSafeComponent(name);
  });

  it('is a pure function', () => {
    expect(localVolumeDirName('../x')).toBe(localVolumeDirName('../x'));
    expect(localVolumeDirName('abc')).toBe(localVolumeDirName('abc'));
  });

  it('never lets a readable id imitate a hashed name, or the reverse', () => {
    const hashed = localVolumeDirName('../x');
    // The id that would print as the hashed name is itself readable, so it gains the other prefix.
    expect(localVolumeDirName(hashed)).toBe(`v-${hashed}`);
    expect(localVolumeDirName(hashed)).not.toBe(hashed);
    expect(localVolumeDirName(`v-abc`)).toBe('v-v-abc');
    expect(localVolumeDirName(`v-abc`)).not.toBe(localVolumeDirName('abc'));
  });

  it('gives distinct ids distinct names, across and within both forms', () => {
    const ids = [
      '',
      '.',
      '..',
      '...',
      '../',
      'a',
      'A',
      'a/b',
      'a\\b',
      'a\0b',
      'a\0c',
      '\uD800',
      '\uDC00',
      '\uFFFD',
      'é',
      'e\u0301',
      'a'.repeat(100),
      'a'.repeat(101),
      'x'.repeat(300),
      'x'.repeat(301),
      localVolumeDirName('a/b'),
      `v-a`,
      `h-a`,
    ];
    const names = ids.map(localVolumeDirName);
    expect(new Set(names).size).toBe(ids.length);
  });
});

describe('localVolumePath', () => {
  const root = resolve('/srv/osbkit/volumes');

  it('places every id directly inside the root', () => {
    for (const id of ['abc', '..', '../../etc', '/etc/passwd', 'a\0b', '.', 'x'.repeat(300)]) {
      const path = localVolumePath(root, id);
      expect(dirname(path)).toBe(root);
      expect(basename(path)).toBe(localVolumeDirName(id));
    }
  });

  it('returns an absolute path even for a relative root', () => {
    expect(localVolumePath('relative/root', 'abc')).toBe(join(resolve('relative/root'), 'v-abc'));
  });

  it('ignores a trailing slash on the root', () => {
    expect(localVolumePath(`${root}/`, 'abc')).toBe(join(root, 'v-abc'));
  });

  it('refuses an empty root', () => {
    expect(() => localVolumePath('', 'abc')).toThrow(/root/);
  });
});
