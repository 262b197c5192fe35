import {
  InvalidContainerDirError,
  normaliseContainerDir,
  redactVolumeMountForApp,
  validateVolumeMounts,
  type VolumeMount,
} from '../../../sdk/volume/mounts';

function goodMount(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    driver: 'localdriver',
    container_dir: '/var/vcap/data/abc',
    mode: 'rw',
    device_type: 'shared',
    device: { volume_id: 'abc', mount_config: { uid: '1000' } },
    ...overrides,
  };
}

function without(key: string): Record<string, unknown> {
  const mount = goodMount();
  delete mount[key];
  return mount;
}

function errorsOf(value: unknown): string[] {
  const result = validateVolumeMounts(value);
  if (result.ok) throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
  return result.errors;
}

describe('validateVolumeMounts: accepted', () => {
  it.each([
    ['absent', undefined],
    ['null', null],
    ['an empty array', []],
  ])('accepts %s as "no mounts"', (_label, value) => {
    expect(validateVolumeMounts(value)).toEqual({ ok: true, mounts: [] });
  });

  it.each<[string, Record<string, unknown>]>([
    ['read-write with mount_config', goodMount()],
    ['read-only', goodMount({ mode: 'r' })],
    ['no mount_config', goodMount({ device: { volume_id: 'abc' } })],
    ['null mount_config', goodMount({ device: { volume_id: 'abc', mount_config: null } })],
    ['empty mount_config', goodMount({ device: { volume_id: 'abc', mount_config: {} } })],
    ['a deep container_dir', goodMount({ container_dir: '/home/vcap/data/x.y/z' })],
  ])('accepts %s', (_label, mount) => {
    const result = validateVolumeMounts([mount]);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.mounts).toHaveLength(1);
  });

  it('returns typed mounts holding only the known fields', () => {
    const result = validateVolumeMounts([goodMount({ extra: 'dropped' }), goodMount({ mode: 'r', device: { volume_id: 'v2', mount_config: null } })]);
    expect(result).toEqual({
      ok: true,
      mounts: [
        {
          driver: 'localdriver',
          container_dir: '/var/vcap/data/abc',
          mode: 'rw',
          device_type: 'shared',
          device: { volume_id: 'abc', mount_config: { uid: '1000' } },
        },
        {
          driver: 'localdriver',
          container_dir: '/var/vcap/data/abc',
          mode: 'r',
          device_type: 'shared',
          device: { volume_id: 'v2', mount_config: null },
        },
      ],
    });
  });
});

describe('validateVolumeMounts: Cloud Controller rules', () => {
  it('refuses mounts from a service that does not require volume_mount', () => {
    const result = validateVolumeMounts([goodMount()], { serviceRequiresVolumeMount: false });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatch(/not registered as a volume mount service/);
  });

  it('lets a non-volume service omit volume_mounts', () => {
    expect(validateVolumeMounts(undefined, { serviceRequiresVolumeMount: false })).toEqual({ ok: true, mounts: [] });
  });

  it.each([
    ['an object', {}],
    ['a string', 'mounts'],
    ['a number', 1],
  ])('refuses volume_mounts that is %s', (_label, value) => {
    expect(errorsOf(value)).toEqual(['volume_mounts must be an array of objects']);
  });

  it.each([
    ['a string', 'x'],
    ['null', null],
    ['an array', []],
    ['a number', 3],
  ])('refuses an entry that is %s', (_label, entry) => {
    expect(errorsOf([goodMount(), entry])).toEqual(['volume_mounts[1] must be an object']);
  });

  it.each(['device_type', 'device', 'mode', 'container_dir', 'driver'])('requires the field %s', (field) => {
    expect(errorsOf([without(field)])).toEqual([`volume_mounts[0]: missing required field '${field}'`]);
  });

  it.each(['device_type', 'mode', 'container_dir', 'driver'])('requires %s to be a non-empty string', (field) => {
    for (const bad of ['', null, 7, true, {}, ['r']]) {
      expect(errorsOf([goodMount({ [field]: bad })])).toEqual([`volume_mounts[0].${field} must be a non-empty string`]);
    }
  });

  it.each(['R', 'ro', 'read', 'w', 'rwx'])('refuses mode %j', (mode) => {
    expect(errorsOf([goodMount({ mode })])).toEqual(['volume_mounts[0].mode must be "r" or "rw"']);
  });

  it.each([
    ['a string', 'nfs-server:/export'],
    ['null', null],
    ['an array', [{ volume_id: 'a' }]],
  ])('refuses a device that is %s', (_label, device) => {
    expect(errorsOf([goodMount({ device })])).toEqual(['volume_mounts[0].device must be an object']);
  });

  it.each([
    ['missing', {}],
    ['empty', { volume_id: '' }],
    ['a number', { volume_id: 12 }],
    ['null', { volume_id: null }],
  ])('refuses a device.volume_id that is %s', (_label, device) => {
    expect(errorsOf([goodMount({ device })])).toEqual(['volume_mounts[0].device.volume_id must be a non-empty string']);
  });

  it.each([
    ['a string', 'uid=1000'],
    ['an array', ['uid']],
    ['a number', 0],
    ['false', false],
  ])('refuses a device.mount_config that is %s', (_label, mountConfig) => {
    expect(errorsOf([goodMount({ device: { volume_id: 'a', mount_config: mountConfig } })])).toEqual([
      'volume_mounts[0].device.mount_config must be an object or null when present',
    ]);
  });

  it('reports every problem in every entry, not just the first', () => {
    const errors = errorsOf([goodMount({ mode: 'x', driver: '' }), goodMount(), { container_dir: 'rel' }]);
    expect(errors).toEqual([
      'volume_mounts[0].driver must be a non-empty string',
      'volume_mounts[0].mode must be "r" or "rw"',
      "volume_mounts[2]: missing required field 'device_type'",
      "volume_mounts[2]: missing required field 'device'",
      "volume_mounts[2]: missing required field 'mode'",
      "volume_mounts[2]: missing required field 'driver'",
      'volume_mounts[2].container_dir must be an absolute path',
    ]);
  });

  it('does not treat inherited properties as present fields', () => {
    const inherited = Object.create({ driver: 'd', mode: 'r' }) as Record<string, unknown>;
    Object.assign(inherited, { container_dir: '/data', device_type: 'shared', device: { volume_id: 'v' } });
    expect(errorsOf([inherited])).toEqual([
      "volume_mounts[0]: missing required field 'mode'",
      "volume_mounts[0]: missing required field 'driver'",
    ]);
  });
});

describe('validateVolumeMounts: our additional rules', () => {
  it.each(['dedicated', 'none', 'Shared'])('refuses device_type %j', (deviceType) => {
    expect(errorsOf([goodMount({ device_type: deviceType })])).toEqual(['volume_mounts[0].device_type must be "shared"']);
  });

  it.each<[string, string]>([
    ['data', 'must be an absolute path'],
    ['./data', 'must be an absolute path'],
    ['/', 'must not be the container root'],
    ['//', 'must not be the container root'],
    ['/.', 'must not be the container root'],
    ['/data/', "must be normalised (no '.' segments, repeated or trailing slashes)"],
    ['/data//x', "must be normalised (no '.' segments, repeated or trailing slashes)"],
    ['/data/./x', "must be normalised (no '.' segments, repeated or trailing slashes)"],
    ['//data', "must be normalised (no '.' segments, repeated or trailing slashes)"],
    ['/data/../etc', "must not contain '..' segments"],
    ['/..', "must not contain '..' segments"],
    ['/data/..', "must not contain '..' segments"],
    ['/data\u0000x', 'must not contain control characters'],
    ['/data\nx', 'must not contain control characters'],
    ['/etc', 'must not be /etc or inside it (a system directory)'],
    ['/proc/x', 'must not be /proc or inside it (a system directory)'],
    ['/usr/sbin', 'must not be /usr or inside it (a system directory)'],
    ['/home/vcap/app', 'must not be /home/vcap/app or inside it (a system directory)'],
    ['/home/vcap/app/data', 'must not be /home/vcap/app or inside it (a system directory)'],
    ['/tmp', 'must not replace /tmp (a directory of the container itself; use a directory inside it)'],
    ['/home/vcap', 'must not replace /home/vcap (a directory of the container itself; use a directory inside it)'],
    ['/' + 'x'.repeat(1024), 'must be at most 1024 characters'],
  ])('refuses container_dir %j', (dir, problem) => {
    expect(errorsOf([goodMount({ container_dir: dir })])).toEqual([`volume_mounts[0].container_dir ${problem}`]);
  });

  it.each(['/data', '/data/..x', '/data/x..', '/a b/c', '/tmp/data', '/home/vcap/data', '/var/vcap/data/x', '/usrx', '/etcetera'])('accepts container_dir %j', (dir) => {
    expect(validateVolumeMounts([goodMount({ container_dir: dir })]).ok).toBe(true);
  });
});

describe('normaliseContainerDir', () => {
  it.each([
    ['/data', '/data'],
    ['/data/', '/data'],
    ['/data///', '/data'],
    ['//data//x/', '/data/x'],
    ['/data/./x/.', '/data/x'],
    ['/var/vcap/data/abc', '/var/vcap/data/abc'],
  ])('turns %j into %j', (input, expected) => {
    expect(normaliseContainerDir(input)).toBe(expected);
  });

  it.each(['', 'data', './data', '/', '///', '/./', '/data/../etc', '/..', '/a\u0000b', '/a\tb', '/etc', '/etc/', '/proc/x', '/tmp', '/tmp/', '/home/vcap/app'])('refuses %j', (input) => {
    expect(() => normaliseContainerDir(input)).toThrow(InvalidContainerDirError);
  });

  it('refuses non-strings that slip past the type system', () => {
    expect(() => normaliseContainerDir(42 as unknown as string)).toThrow(InvalidContainerDirError);
  });

  it('always produces a container_dir the validator accepts', () => {
    for (const input of ['/x/', '//y', '/a/./b//c/']) {
      expect(validateVolumeMounts([goodMount({ container_dir: normaliseContainerDir(input) })]).ok).toBe(true);
    }
  });
});

describe('redactVolumeMountForApp', () => {
  it('keeps only what VCAP_SERVICES shows', () => {
    const mount: VolumeMount = {
      driver: 'nfsv3driver',
      container_dir: '/data',
      mode: 'r',
      device_type: 'shared',
      device: { volume_id: 'v', mount_config: { password: 'secret' } },
    };
    const shown = redactVolumeMountForApp(mount);
    expect(shown).toEqual({ container_dir: '/data', mode: 'r', device_type: 'shared' });
    expect(JSON.stringify(shown)).not.toContain('secret');
  });
});
