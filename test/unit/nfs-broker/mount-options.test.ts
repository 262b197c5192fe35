import { goJson, mergeMountOptions, mountConfig, MountOptionsError, readMountOptions, volumeId } from '../../../brokers/nfs';

/**
 * nfsbroker's option handling. The expected volume ids are the ones Cloud Foundry's own
 * nfsbroker code produced for the same create and bind parameters
 * (shared/reference/volume-services.md, section 2.2), so an app bound through this broker
 * gets the very volume id it would get there.
 */

const INSTANCE = '6f1e2a34-0000-4000-8000-00000000abcd';
const SOURCE = 'nfs://nfstestserver.service.cf.internal/export/vol1';

function bindConfig(create: Record<string, string | number | boolean>, bind: Record<string, string | number | boolean>): Record<string, string> {
  const options = mergeMountOptions(readMountOptions(create), readMountOptions(bind));
  return mountConfig(SOURCE, options);
}

describe('volume_id and mount_config as nfsbroker makes them', () => {
  it('uid and gid at bind', () => {
    const config = bindConfig({}, { uid: '1000', gid: '1000' });
    expect(config).toEqual({ auto_cache: 'true', gid: '1000', source: SOURCE, uid: '1000' });
    expect(Object.keys(config)).toEqual(['auto_cache', 'gid', 'source', 'uid']);
    expect(volumeId(INSTANCE, config)).toBe(`${INSTANCE}-dacad3aec73191d2364f6e8d4f753cc7`);
  });

  it('readonly and mount at bind; numbers and strings give the same strings', () => {
    const config = bindConfig({}, { uid: 1000, gid: 1000, readonly: true, mount: '/data' });
    expect(config).toEqual({ auto_cache: 'true', gid: '1000', mount: '/data', readonly: 'true', source: SOURCE, uid: '1000' });
    expect(volumeId(INSTANCE, config)).toBe(`${INSTANCE}-626106168e2f49d204a0f73651085201`);
  });

  it('version at create, uid and gid at bind', () => {
    const config = bindConfig({ version: '4.1' }, { uid: '1000', gid: '1000' });
    expect(config.version).toBe('4.1');
    expect(volumeId(INSTANCE, config)).toBe(`${INSTANCE}-cc9c22f8520d5041228d759908f4db85`);
  });

  it('the same options give the same id, different options another, and readonly false is no readonly at all', () => {
    const base = volumeId(INSTANCE, bindConfig({}, { uid: 1000, gid: 1000 }));
    expect(volumeId(INSTANCE, bindConfig({ uid: '1000', gid: '1000' }, {}))).toBe(base);
    expect(volumeId(INSTANCE, bindConfig({}, { uid: 1000, gid: 1000, readonly: false }))).toBe(base);
    expect(volumeId(INSTANCE, bindConfig({}, { uid: 1001, gid: 1000 }))).not.toBe(base);
  });

  it('an empty bind is the source and auto_cache only', () => {
    expect(bindConfig({}, {})).toEqual({ auto_cache: 'true', source: SOURCE });
  });

  it('bind values replace create values', () => {
    const config = bindConfig({ uid: 1000, gid: 1000, readonly: true, mount: '/a' }, { uid: 2000, readonly: false, mount: '/b' });
    expect(config).toMatchObject({ uid: '2000', gid: '1000', mount: '/b' });
    expect(config.readonly).toBeUndefined();
  });

  it('hashes the options as Go writes JSON, HTML characters escaped', () => {
    expect(goJson({ b: '1', a: 'x<y>&z\u2028' })).toBe('{"a":"x\\u003cy\\u003e\\u0026z\\u2028","b":"1"}');
  });
});

describe('reading options', () => {
  const problems = (parameters: Record<string, unknown>, options?: Parameters<typeof readMountOptions>[1]): string[] => {
    try {
      readMountOptions(parameters as never, options);
    } catch (error) {
      if (error instanceof MountOptionsError) return error.problems;
      throw error;
    }
    throw new Error('expected the options to be refused');
  };

  it('canonicalises what nfsbroker accepts', () => {
    expect(readMountOptions({ uid: '42', gid: 7, readonly: 'true', version: 3.0, cache: 'T', auto_cache: 'false', mount: '/data//x/' })).toEqual({
      uid: 42, gid: 7, readonly: true, version: '3', cache: true, auto_cache: false, mount: '/data/x',
    });
    expect(readMountOptions({ version: '3.0' }).version).toBe('3');
    expect(readMountOptions({ version: 4.2 }).version).toBe('4.2');
    expect(readMountOptions({ readonly: 'false' }).readonly).toBe(false);
  });

  it('names every option outside the allow-list, sorted, and what is allowed', () => {
    const [first] = problems({ nolock: true, soft: 1, uid: 5, gid: 5 });
    expect(first).toBe('not allowed options: nolock, soft (allowed: uid, gid, mount, readonly, version, cache, auto_cache)');
    expect(problems({ username: 'u', password: 'p' })[0]).toContain('not allowed options: password, username');
  });

  it.each([
    [{ uid: 0 }, 'uid must be a whole number from 1 to 4294967294 (0, root, is refused), got 0'],
    [{ gid: '0' }, 'gid must be a whole number from 1 to 4294967294'],
    [{ uid: -1 }, 'uid must be a whole number'],
    [{ uid: 1.5 }, 'uid must be a whole number'],
    [{ uid: 'abc' }, 'uid must be a whole number'],
    [{ uid: '01000' }, 'uid must be a whole number'],
    [{ uid: 4294967295 }, 'uid must be a whole number'],
    [{ gid: true }, 'gid must be a whole number'],
    [{ readonly: 'yes' }, 'readonly must be true or false, got "yes"'],
    [{ readonly: 1 }, 'readonly must be true or false'],
    [{ cache: 'maybe' }, 'cache must be true or false'],
    [{ version: '5' }, 'version must be one of 3, 4, 4.0, 4.1, 4.2, got "5"'],
    [{ version: '3.1' }, 'version must be one of'],
    [{ mount: 'data' }, 'must be an absolute path'],
    [{ mount: '/data/../etc' }, "must not contain '..' segments"],
    [{ mount: '/etc' }, 'system directory'],
    [{ mount: 7 }, 'mount must be a string'],
  ])('refuses %j', (parameters, problem) => {
    expect(problems(parameters).join('; ')).toContain(problem);
  });

  it('reports all problems at once', () => {
    expect(problems({ uid: 0, readonly: 'no', extra: 1 })).toHaveLength(3);
  });

  it('refuses reserved keys with their own reason and skips the keys the caller reads', () => {
    expect(problems({ source: 'x' }, { refused: { source: 'source cannot be given' } })).toEqual(['source cannot be given']);
    expect(readMountOptions({ share: 'a/b', uid: 3, gid: 3 }, { alsoAllowed: ['share'] })).toEqual({ uid: 3, gid: 3 });
  });

  it('uid and gid go together once merged', () => {
    expect(() => mergeMountOptions({ uid: 1 }, {})).toThrow('gid is missing');
    expect(() => mergeMountOptions({}, { gid: 1 })).toThrow('uid is missing');
    expect(mergeMountOptions({ uid: 1 }, { gid: 2 })).toEqual({ uid: 1, gid: 2 });
  });
});
