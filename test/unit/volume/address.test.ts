import { formatDriverEndpoint, normaliseDriverAddress, parseDriverAddress } from '../../../sdk/volume/protocol/address';
import { decodeSafeError, encodeSafeError } from '../../../sdk/volume/protocol/errors';

describe('normaliseDriverAddress (volman canonicalisation)', () => {
  it.each([
    ['http://127.0.0.1:7589', 'http://127.0.0.1:7589'],
    ['https://127.0.0.1:7589', 'https://127.0.0.1:7589'],
    ['HTTP://host:1', 'HTTP://host:1'],
    ['tcp://127.0.0.1:9750', 'http://127.0.0.1:9750'],
    ['tcp://localhost:9750/plugin', 'http://localhost:9750/plugin'],
    ['tcp://localhost:9750/?q=1#f', 'http://localhost:9750/'],
    ['unix:///var/vcap/data/voldrivers/x.sock', 'unix:///var/vcap/data/voldrivers/x.sock'],
    ['/var/vcap/data/voldrivers/x.sock', '/var/vcap/data/voldrivers/x.sock'],
    ['127.0.0.1:9750', 'http://127.0.0.1:9750'],
    ['localhost:9750', 'http://localhost:9750'],
    ['  http://127.0.0.1:1  ', 'http://127.0.0.1:1'],
  ])('turns %j into %j', (input, expected) => {
    expect(normaliseDriverAddress(input)).toBe(expected);
  });

  it.each(['', '   ', 'ftp://host:21', 'npipe:////./pipe/x'])('refuses %j', (input) => {
    expect(() => normaliseDriverAddress(input)).toThrow();
  });
});

describe('parseDriverAddress', () => {
  it.each<[string, ReturnType<typeof parseDriverAddress>]>([
    ['unix:///tmp/d.sock', { kind: 'unix', socketPath: '/tmp/d.sock' }],
    ['/tmp/d.sock', { kind: 'unix', socketPath: '/tmp/d.sock' }],
    ['http://127.0.0.1:9750', { kind: 'http', hostname: '127.0.0.1', port: 9750, basePath: '' }],
    ['tcp://localhost:9750', { kind: 'http', hostname: 'localhost', port: 9750, basePath: '' }],
    ['http://localhost', { kind: 'http', hostname: 'localhost', port: 80, basePath: '' }],
    ['http://[::1]:81/base/', { kind: 'http', hostname: '::1', port: 81, basePath: '/base' }],
  ])('reads %j', (input, expected) => {
    expect(parseDriverAddress(input)).toEqual(expected);
  });

  it.each([
    ['TLS', 'https://127.0.0.1:1', /TLS/],
    ['a relative socket', 'relative.sock', /absolute/],
    ['a relative unix URL', 'unix://relative.sock', /absolute/],
    ['credentials', 'http://user:pw@127.0.0.1:1', /credentials/],
    ['a bad port', 'http://127.0.0.1:99999', /not a valid URL/],
  ])('refuses %s', (_label, input, message) => {
    expect(() => parseDriverAddress(input)).toThrow(message);
  });

  it('formats endpoints back into canonical addresses', () => {
    expect(formatDriverEndpoint(parseDriverAddress('/tmp/d.sock'))).toBe('unix:///tmp/d.sock');
    expect(formatDriverEndpoint(parseDriverAddress('tcp://127.0.0.1:5'))).toBe('http://127.0.0.1:5');
    expect(formatDriverEndpoint(parseDriverAddress('http://[::1]:5'))).toBe('http://[::1]:5');
  });
});

describe('safe errors', () => {
  it('round-trips a description', () => {
    const err = encodeSafeError('user lacks read access to share');
    expect(JSON.parse(err)).toEqual({ SafeDescription: 'user lacks read access to share' });
    expect(decodeSafeError(err)).toBe('user lacks read access to share');
  });

  it.each([
    ['plain text', 'mount failed'],
    ['JSON without SafeDescription', '{"Other":"x"}'],
    ['an empty SafeDescription', '{"SafeDescription":""}'],
    ['a non-string SafeDescription', '{"SafeDescription":5}'],
    ['broken JSON', '{"SafeDescription":'],
    ['a JSON array', '[{"SafeDescription":"x"}]'],
  ])('treats %s as an ordinary error', (_label, err) => {
    expect(decodeSafeError(err)).toBeUndefined();
  });
});
