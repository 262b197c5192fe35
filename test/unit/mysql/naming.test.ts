import {
  MAX_DATABASE_NAME_LENGTH,
  MAX_USER_NAME_LENGTH,
  bindingUserName,
  databaseName,
  grantDatabasePattern,
  isSafeName,
  quoteIdentifier,
} from '../../../brokers/mysql/naming';

const HOSTILE_IDS = [
  "'; DROP DATABASE x; --",
  '`; DROP DATABASE mysql; --',
  'a`b',
  '``',
  '"quoted"',
  "it's",
  'back\\slash',
  'per%cent_and_under',
  '../../etc/passwd',
  'x'.repeat(300),
  'Ωμέγα-数据库-🚀',
  '   ',
  '',
  'ABC',
  'abc',
  'a-b',
  'a_b',
  'a.b',
  '6f1c9d0a-4b7e-4a3c-9d2f-0e8b7a6c5d4e',
];

describe('databaseName', () => {
  it('keeps only [a-z0-9_] and fits 64 characters for every id', () => {
    for (const id of HOSTILE_IDS) {
      const name = databaseName(id);
      expect(name).toMatch(/^[a-z0-9_]+$/);
      expect(name.length).toBeLessThanOrEqual(MAX_DATABASE_NAME_LENGTH);
      expect(isSafeName(name, MAX_DATABASE_NAME_LENGTH)).toBe(true);
    }
  });

  it('gives different ids different names, including ids that reduce to the same characters', () => {
    const names = HOSTILE_IDS.map(databaseName);
    expect(new Set(names).size).toBe(HOSTILE_IDS.length);
    // Case, punctuation and truncation are all lossy; the hash keeps the names apart.
    expect(databaseName('ABC')).not.toBe(databaseName('abc'));
    expect(databaseName('a-b')).not.toBe(databaseName('a_b'));
    expect(databaseName(`${'x'.repeat(300)}1`)).not.toBe(databaseName(`${'x'.repeat(300)}2`));
  });

  it('is deterministic and keeps a readable part of a GUID', () => {
    const id = '6f1c9d0a-4b7e-4a3c-9d2f-0e8b7a6c5d4e';
    expect(databaseName(id)).toBe(databaseName(id));
    expect(databaseName(id)).toMatch(/^osb_6f1c9d0a_4b7e_4a3c_9d2f_0e8b7a6c5d4e_[0-9a-f]{16}$/);
  });

  it('reduces an injection attempt to inert characters', () => {
    expect(databaseName("'; DROP DATABASE x; --")).toMatch(/^osb_drop_database_x_[0-9a-f]{16}$/);
  });
});

describe('bindingUserName', () => {
  it('keeps only [a-z0-9_] and fits 32 characters for every id', () => {
    for (const id of HOSTILE_IDS) {
      const name = bindingUserName('instance-1', id);
      expect(name).toMatch(/^[a-z0-9_]+$/);
      expect(name.length).toBeLessThanOrEqual(MAX_USER_NAME_LENGTH);
    }
  });

  it('is distinct per binding id and per instance, and deterministic', () => {
    const names = HOSTILE_IDS.map((id) => bindingUserName('instance-1', id));
    expect(new Set(names).size).toBe(HOSTILE_IDS.length);
    expect(bindingUserName('instance-1', 'b')).not.toBe(bindingUserName('instance-2', 'b'));
    expect(bindingUserName('instance-1', 'b')).toBe(bindingUserName('instance-1', 'b'));
  });

  it('does not let the instance/binding split shift into a collision', () => {
    expect(bindingUserName('ab', 'c')).not.toBe(bindingUserName('a', 'bc'));
  });
});

describe('quoteIdentifier', () => {
  it('wraps in backticks and doubles backticks inside', () => {
    expect(quoteIdentifier('plain')).toBe('`plain`');
    expect(quoteIdentifier('a`b')).toBe('`a``b`');
    expect(quoteIdentifier('`; DROP DATABASE x; --')).toBe('```; DROP DATABASE x; --`');
    expect(quoteIdentifier("it's \"x\"")).toBe("`it's \"x\"`");
  });

  it('refuses what MySQL cannot name', () => {
    expect(() => quoteIdentifier('')).toThrow();
    expect(() => quoteIdentifier('a\u0000b')).toThrow();
  });
});

describe('grantDatabasePattern', () => {
  it('escapes the GRANT wildcards so a grant names exactly one database', () => {
    expect(grantDatabasePattern('osb_a_b')).toBe('osb\\_a\\_b');
    expect(grantDatabasePattern('x%y')).toBe('x\\%y');
    expect(grantDatabasePattern('plain')).toBe('plain');
  });
});

describe('isSafeName', () => {
  it('accepts only derived-looking names', () => {
    expect(isSafeName('osb_abc', 64)).toBe(true);
    expect(isSafeName('osb-abc', 64)).toBe(false);
    expect(isSafeName('a`b', 64)).toBe(false);
    expect(isSafeName('', 64)).toBe(false);
    expect(isSafeName('x'.repeat(33), 32)).toBe(false);
  });
});
