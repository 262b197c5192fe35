import { NfsUrlError } from '../../../../sdk/volume/nfs/errors';
import { parseNfsUrl } from '../../../../sdk/volume/nfs/url';
import { exportsContaining, pathPrefixes } from '../../../../sdk/volume/nfs/connect';

describe('parseNfsUrl', () => {
  it('reads host, path and the libnfs options', () => {
    expect(parseNfsUrl('nfs://127.0.0.1/var/lib/export/dir/file.txt?uid=1000&gid=1001&nfsport=2049&mountport=20048&version=3')).toEqual({
      host: '127.0.0.1',
      path: '/var/lib/export/dir/file.txt',
      uid: 1000,
      gid: 1001,
      nfsPort: 2049,
      mountPort: 20048,
      version: 3,
    });
    expect(parseNfsUrl('nfs://server.example')).toEqual({ host: 'server.example', path: '/', version: 3 });
    expect(parseNfsUrl('NFS://[::1]/x/')).toEqual({ host: '::1', path: '/x', version: 3 });
  });

  it('decodes percent-encoding and drops empty segments', () => {
    expect(parseNfsUrl('nfs://h//a%20b//c%C3%A9/').path).toBe('/a b/cé');
  });

  it.each([
    ['http://h/x', /does not start with nfs:\/\//],
    ['nfs:///x', /host is missing/],
    ['nfs://user@h/x', /user information/],
    ['nfs://h:2049/x', /use \?nfsport=/],
    ['nfs://h/x?version=4', /version=4 is not supported/],
    ['nfs://h/x?uid=-1', /not a whole number/],
    ['nfs://h/x?uid=4294967296', /out of range/],
    ['nfs://h/x?nfsport=0', /out of range/],
    ['nfs://h/x?nfsport=70000', /out of range/],
    ['nfs://h/x?readahead=1', /unknown option "readahead"/],
    ['nfs://h/x?uid=1&uid=2', /given twice/],
    ['nfs://h/a/../b', /may not contain "\.\."/],
    ['nfs://h/a/./b', /may not contain "\."/],
    ['nfs://h/a%2Fb', /decodes to a "\/"/],
    ['nfs://h/a%00b', /NUL/],
    ['nfs://h/a%zz', /percent-encoding/],
    ['nfs://h/x#frag', /fragment/],
    ['nfs://bad host/x', /not a host name/],
  ])('refuses %s', (text, problem) => {
    expect(() => parseNfsUrl(text)).toThrow(NfsUrlError);
    expect(() => parseNfsUrl(text)).toThrow(problem);
  });
});

describe('choosing the export for a URL path', () => {
  it('lists a path and its parents, longest first', () => {
    expect(pathPrefixes('/a/b/c')).toEqual(['/a/b/c', '/a/b', '/a', '/']);
    expect(pathPrefixes('/')).toEqual(['/']);
  });

  it('picks the exports that contain the path at a component boundary, most specific first', () => {
    const exports = [{ path: '/srv' }, { path: '/srv/data/' }, { path: '/srv/da' }, { path: '/other' }].map((e) => ({ ...e, groups: [] }));
    expect(exportsContaining('/srv/data/x/y', exports)).toEqual(['/srv/data', '/srv']);
    expect(exportsContaining('/elsewhere', exports)).toEqual([]);
  });
});
