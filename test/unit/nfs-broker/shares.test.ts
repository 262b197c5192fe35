import { parseShare, parseShareRule, shareSource, shareText, ShareAllowList, ShareRuleError, ShareSyntaxError } from '../../../brokers/nfs';
import { parseNfsUrl } from '../../../sdk/volume';

/** Shares in canonical form, and the operator's allow-list rules matched against them. */

describe('parseShare', () => {
  it.each([
    ['10.0.0.5/exports/data', '10.0.0.5/exports/data'],
    ['NFS.Example.COM/Exports/Data', 'nfs.example.com/Exports/Data'],
    ['10.0.0.5//exports/./data/', '10.0.0.5/exports/data'],
    ['10.0.0.5/', '10.0.0.5/'],
    ['server/export:with:colons', 'server/export:with:colons'],
    ['[FD00:0::1]/exports/a', '[fd00::1]/exports/a'],
    ['nfstestserver.service.cf.internal/export/vol1', 'nfstestserver.service.cf.internal/export/vol1'],
  ])('%j is the share %j', (input, canonical) => {
    expect(shareText(parseShare(input))).toBe(canonical);
  });

  it.each([
    ['', 'must not be empty'],
    ['10.0.0.5:/exports/data', 'no colon allowed after the server'],
    ['nfs://10.0.0.5/exports/data', 'no colon allowed after the server'],
    ['10.0.0.5/exports/my data', 'must not contain spaces'],
    [' 10.0.0.5/exports', 'must not contain spaces'],
    ['10.0.0.5/exports/../etc', "must not contain '..' segments"],
    ['10.0.0.5/exports/..', "must not contain '..' segments"],
    ['10.0.0.5', 'names no path'],
    ['/exports/data', 'names no server'],
    ['10.0.0.5:2049/exports', 'must not contain a colon'],
    ['fd00::1/exports', 'must not contain a colon'],
    ['[not-v6]/exports', 'not an IPv6 address'],
    ['010.0.0.5/exports', 'is not a valid IPv4 address'],
    ['127.1/exports', 'is not a valid IPv4 address'],
    ['0x7f000001/exports', 'is not a valid IPv4 address'],
    ['bad..name/exports', 'empty label'],
    ['-bad.example/exports', 'is not a host name'],
    ['10.0.0.5/exports/%2e%2e', 'must not contain "%"'],
    ['10.0.0.5/exports/a*', 'must not contain "*"'],
    ['10.0.0.5/exports/é', 'must not contain "é"'],
    ['10.0.0.5/a\u0000b', 'control characters'],
  ])('refuses %j: %s', (input, problem) => {
    expect(() => parseShare(input)).toThrow(ShareSyntaxError);
    expect(() => parseShare(input)).toThrow(problem);
  });

  it('refuses a share longer than 1024 characters', () => {
    expect(() => parseShare(`10.0.0.5/${'a'.repeat(1100)}`)).toThrow('at most 1024 characters');
  });

  it('gives a source the NFS client reads as the same server and path', () => {
    for (const text of ['10.0.0.5/exports/a,b=c@d+e~f:g', '[fd00::1]/x', 'nfs.example.com/']) {
      const share = parseShare(text);
      const url = parseNfsUrl(shareSource(share));
      expect({ host: url.host, path: url.path }).toEqual({ host: share.host, path: share.path });
    }
  });
});

describe('the share allow-list', () => {
  const allows = (rules: string, share: string): boolean => ShareAllowList.parse(rules).find(parseShare(share)) !== undefined;

  it('* stays inside one path segment and does not match the directory itself', () => {
    expect(allows('10.0.0.5/exports/*', '10.0.0.5/exports/a')).toBe(true);
    expect(allows('10.0.0.5/exports/*', '10.0.0.5/exports/a/b')).toBe(false);
    expect(allows('10.0.0.5/exports/*', '10.0.0.5/exports')).toBe(false);
    expect(allows('10.0.0.5/exports/*', '10.0.0.5/exportsX')).toBe(false);
    expect(allows('10.0.0.5/exports/team-*', '10.0.0.5/exports/team-blue')).toBe(true);
    expect(allows('10.0.0.5/exports/team-*', '10.0.0.5/exports/other')).toBe(false);
  });

  it('** is zero or more whole segments', () => {
    expect(allows('10.0.0.5/exports/**', '10.0.0.5/exports')).toBe(true);
    expect(allows('10.0.0.5/exports/**', '10.0.0.5/exports/a/b/c')).toBe(true);
    expect(allows('10.0.0.5/exports/**/data', '10.0.0.5/exports/data')).toBe(true);
    expect(allows('10.0.0.5/exports/**/data', '10.0.0.5/exports/x/y/data')).toBe(true);
    expect(allows('10.0.0.5/exports/**/data', '10.0.0.5/exports/x/y/other')).toBe(false);
    expect(allows('10.0.0.5/**', '10.0.0.5/')).toBe(true);
    expect(allows('10.0.0.5/exports/**', '10.0.0.5/other')).toBe(false);
  });

  it('.. and other spellings are dealt with before any rule sees the share', () => {
    expect(() => allows('10.0.0.5/exports/*', '10.0.0.5/exports/../etc')).toThrow("'..'");
    expect(allows('10.0.0.5/exports/*', '10.0.0.5//exports/./a/')).toBe(true);
    expect(() => allows('10.0.0.5/exports/**', '10.0.0.5/exports/a/./../../etc')).toThrow("'..'");
  });

  it('matches paths case-sensitively and servers case-insensitively', () => {
    expect(allows('NFS.example.com/exports/*', 'nfs.EXAMPLE.com/exports/a')).toBe(true);
    expect(allows('nfs.example.com/exports/*', 'nfs.example.com/Exports/a')).toBe(false);
  });

  it('an address rule never matches a host name, nor a name rule an address', () => {
    expect(allows('10.0.0.*/exports/**', '10.0.0.7/exports/a')).toBe(true);
    expect(allows('10.0.0.*/exports/**', '10.0.0.7.evil.example/exports/a')).toBe(false);
    expect(allows('*.*.*.*/exports/**', '192.168.1.1/exports')).toBe(true);
    expect(allows('*.*.*.*/exports/**', 'a.b.c.d/exports')).toBe(false);
    expect(allows('*/exports/**', 'nfsserver/exports')).toBe(true);
    expect(allows('*/exports/**', '10.0.0.5/exports')).toBe(false);
  });

  it('* in a server name is exactly one label', () => {
    expect(allows('*.nfs.example.com/x', 'a.nfs.example.com/x')).toBe(true);
    expect(allows('*.nfs.example.com/x', 'a.b.nfs.example.com/x')).toBe(false);
    expect(allows('*.nfs.example.com/x', 'nfs.example.com/x')).toBe(false);
  });

  it('IPv6 rules match the same address however it is written', () => {
    expect(allows('[fd00:0:0::1]/x', '[FD00::1]/x')).toBe(true);
    expect(allows('[fd00::1]/x', '[fd00::2]/x')).toBe(false);
  });

  it('a rule names exactly the paths it allows', () => {
    expect(allows('10.0.0.5/exports', '10.0.0.5/exports')).toBe(true);
    expect(allows('10.0.0.5/exports', '10.0.0.5/exports/a')).toBe(false);
  });

  it('takes comma-separated rules and ignores empty entries and spaces around them', () => {
    const list = ShareAllowList.parse(' 10.0.0.5/a/* ,, nfs.example.com/b/** ');
    expect(list.rules.map((rule) => rule.text)).toEqual(['10.0.0.5/a/*', 'nfs.example.com/b/**']);
    expect(list.toString()).toBe('10.0.0.5/a/*, nfs.example.com/b/**');
    expect(ShareAllowList.parse('').empty).toBe(true);
  });

  it('many ** in a rule do not make matching slow', () => {
    const rule = `10.0.0.5/${Array.from({ length: 30 }, () => '**').join('/')}/z`;
    const share = `10.0.0.5/${Array.from({ length: 200 }, () => 'a').join('/')}`;
    expect(allows(rule, share)).toBe(false);
  });

  it.each([
    ['10.0.0.5', 'names no path'],
    ['/exports', 'names no server'],
    ['10.0.0.5/exports/../etc', "must not contain '..' segments"],
    ['10.0.0.5/exports/a**', '** must be a whole segment'],
    ['nfs*.example.com/x', 'a * stands for a whole label'],
    ['10.0.0/x', 'neither an IPv4 address'],
    ['10.0.0.256/x', 'neither an IPv4 address'],
    ['10.0.0.5:2049/x', 'must not contain a colon'],
    ['[fd00::*]/x', 'IPv6 rules take no wildcards'],
    ['10.0.0.5/ex ports', 'white space'],
    ['10.0.0.5/ex%20ports', 'path character outside'],
  ])('refuses the rule %j: %s', (rule, problem) => {
    expect(() => parseShareRule(rule)).toThrow(ShareRuleError);
    expect(() => parseShareRule(rule)).toThrow(problem);
  });
});
