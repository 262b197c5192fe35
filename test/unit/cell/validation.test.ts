import { InvalidFieldError, parseDesiredLrp, assertAppGuid } from '../../../platform/cell/validation';

const valid = {
  name: 'web',
  command: 'node server.js',
  env: { GREETING: 'hello' },
  instances: 2,
  appDir: '/srv/apps/web',
  volumeMounts: [{ driver: 'nfsv3driver', volumeId: 'vol-1', mountConfig: { source: 'nfs://x/y' }, containerDir: '/data/vol', mode: 'rw' }],
};

function fieldOf(input: unknown): string {
  try {
    parseDesiredLrp(input);
  } catch (error) {
    if (error instanceof InvalidFieldError) return error.field;
    throw error;
  }
  throw new Error('expected the input to be rejected');
}

describe('parseDesiredLrp', () => {
  it('accepts a complete LRP and copies it', () => {
    const parsed = parseDesiredLrp(valid);
    expect(parsed).toEqual({ ...valid, egress: [] });
    expect(parsed.volumeMounts[0]?.mountConfig).not.toBe(valid.volumeMounts[0]?.mountConfig);
  });

  it('defaults env and volumeMounts to empty', () => {
    expect(parseDesiredLrp({ name: 'a', command: 'true', instances: 0 })).toEqual({ name: 'a', command: 'true', env: {}, instances: 0, volumeMounts: [], egress: [] });
  });

  it('keeps a containerDir with shell characters as one literal path (it only ever travels quoted or as an argument)', () => {
    const parsed = parseDesiredLrp({ ...valid, volumeMounts: [{ ...valid.volumeMounts[0], containerDir: '/data/$(reboot)' }] });
    expect(parsed.volumeMounts[0]?.containerDir).toBe('/data/$(reboot)');
  });

  it('accepts egress rules to addresses and host names', () => {
    const egress = [
      { destination: '127.0.0.1', port: 3306, protocol: 'tcp' },
      { destination: 'db.example.com', port: 5432, protocol: 'tcp' },
    ];
    expect(parseDesiredLrp({ ...valid, egress }).egress).toEqual(egress);
  });

  it.each([
    ['a non-object body', 'nope', 'body'],
    ['a missing name', { ...valid, name: undefined }, 'name'],
    ['an empty command', { ...valid, command: '' }, 'command'],
    ['negative instances', { ...valid, instances: -1 }, 'instances'],
    ['fractional instances', { ...valid, instances: 1.5 }, 'instances'],
    ['too many instances', { ...valid, instances: 100_000 }, 'instances'],
    ['an env value that is not a string', { ...valid, env: { PORT: 8080 } }, 'env.PORT'],
    ['an invalid env name', { ...valid, env: { 'BAD-NAME': 'x' } }, 'env.BAD-NAME'],
    ['a relative appDir', { ...valid, appDir: 'apps/web' }, 'appDir'],
    ['an unknown field', { ...valid, volume_mounts: [] }, 'volume_mounts'],
    ['volumeMounts that is not an array', { ...valid, volumeMounts: {} }, 'volumeMounts'],
    ['a bad mode', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], mode: 'w' }] }, 'volumeMounts[0].mode'],
    ['a missing volumeId', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], volumeId: undefined }] }, 'volumeMounts[0].volumeId'],
    ['a driver name with a slash', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], driver: '../x' }] }, 'volumeMounts[0].driver'],
    ['a relative containerDir', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], containerDir: 'data' }] }, 'volumeMounts[0].containerDir'],
    ['a containerDir with ..', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], containerDir: '/data/../etc' }] }, 'volumeMounts[0].containerDir'],
    ['a containerDir over /usr', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], containerDir: '/usr/share' }] }, 'volumeMounts[0].containerDir'],
    ['a containerDir inside the app', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], containerDir: '/home/vcap/app/data' }] }, 'volumeMounts[0].containerDir'],
    ['a containerDir that replaces /tmp', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], containerDir: '/tmp' }] }, 'volumeMounts[0].containerDir'],
    ['a containerDir inside /proc', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], containerDir: '/proc/x' }] }, 'volumeMounts[0].containerDir'],
    ['a containerDir with a newline', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], containerDir: '/data/a\nb' }] }, 'volumeMounts[0].containerDir'],
    ['egress that is not an array', { ...valid, egress: {} }, 'egress'],
    ['an egress rule without a port', { ...valid, egress: [{ destination: '127.0.0.1', protocol: 'tcp' }] }, 'egress[0].port'],
    ['an egress port out of range', { ...valid, egress: [{ destination: '127.0.0.1', port: 70000, protocol: 'tcp' }] }, 'egress[0].port'],
    ['an egress protocol other than tcp or udp', { ...valid, egress: [{ destination: '127.0.0.1', port: 1, protocol: 'icmp' }] }, 'egress[0].protocol'],
    ['an egress destination that could inject a rule', { ...valid, egress: [{ destination: '1.2.3.4 accept', port: 1, protocol: 'tcp' }] }, 'egress[0].destination'],
    ['an egress destination given as a CIDR', { ...valid, egress: [{ destination: '10.0.0.0/8', port: 1, protocol: 'tcp' }] }, 'egress[0].destination'],
    ['an unknown egress field', { ...valid, egress: [{ destination: 'db.example.com', port: 1, protocol: 'tcp', ports: [2] }] }, 'egress[0].ports'],
    ['a mountConfig that is not an object', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], mountConfig: 'x' }] }, 'volumeMounts[0].mountConfig'],
    ['an unknown mount field', { ...valid, volumeMounts: [{ ...valid.volumeMounts[0], container_dir: '/x' }] }, 'volumeMounts[0].container_dir'],
    [
      'two mounts at one containerDir',
      { ...valid, volumeMounts: [valid.volumeMounts[0], { ...valid.volumeMounts[0], volumeId: 'vol-2' }] },
      'volumeMounts[1].containerDir',
    ],
    [
      'the same volume twice',
      { ...valid, volumeMounts: [valid.volumeMounts[0], { ...valid.volumeMounts[0], containerDir: '/data/other' }] },
      'volumeMounts[1].volumeId',
    ],
  ])('rejects %s', (_case, input, field) => {
    expect(fieldOf(input)).toBe(field);
  });
});

describe('assertAppGuid', () => {
  it.each(['2b1c7d9e-0f3a-4c61-9b0a-7e2d5f1c3a88', 'my-app', 'a'])('accepts %s', (guid) => {
    expect(assertAppGuid(guid)).toBe(guid);
  });

  it.each(['', '..', '../etc', 'a/b', '-leading', 'x'.repeat(129), 'sp ace'])('rejects %j', (guid) => {
    expect(() => assertAppGuid(guid)).toThrow(InvalidFieldError);
  });
});
