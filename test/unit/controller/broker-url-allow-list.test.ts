import { BrokerUrlAllowList } from '../../../platform/controller/broker-url-allow-list';

describe('BrokerUrlAllowList', () => {
  test('without entries every http(s) URL is allowed', () => {
    const list = BrokerUrlAllowList.from(undefined);
    expect(list.restricted).toBe(false);
    expect(list.allows('http://10.0.0.1:1234/anything')).toBe(true);
  });

  test('an empty list allows nothing', () => {
    const list = BrokerUrlAllowList.from([]);
    expect(list.restricted).toBe(true);
    expect(list.allows('http://127.0.0.1:8080')).toBe(false);
  });

  test.each<[string, string, boolean]>([
    ['brokers.example.com', 'https://brokers.example.com', true],
    ['brokers.example.com', 'http://BROKERS.example.com:9999/v1', true],
    ['brokers.example.com', 'http://brokers.example.com.evil.test', false],
    ['brokers.example.com', 'http://evil.test/brokers.example.com', false],
    ['brokers.example.com:8443', 'https://brokers.example.com:8443/', true],
    ['brokers.example.com:8443', 'https://brokers.example.com/', false],
    ['brokers.example.com:443', 'https://brokers.example.com/', true],
    ['brokers.example.com:80', 'http://brokers.example.com/', true],
    ['brokers.example.com:*', 'http://brokers.example.com:1/', true],
    ['*.brokers.internal', 'http://mysql.brokers.internal:8080', true],
    ['*.brokers.internal', 'http://brokers.internal:8080', false],
    ['*.brokers.internal', 'http://a.b.brokers.internal:8080', false],
    ['broker-*.internal', 'http://broker-7.internal', true],
    ['10.0.*.*:8080', 'http://10.0.3.4:8080', true],
    ['10.0.*.*:8080', 'http://10.1.3.4:8080', false],
    // An address pattern never matches a name that could resolve anywhere.
    ['10.0.*.*:8080', 'http://10.0.evil.example:8080', false],
    ['10.0.*.*', 'http://10.0.3.evil/', false],
    ['10.0.1*.*', 'http://10.0.17.9/', true],
    ['127.0.0.1:9000', 'http://127.1:9000', true],
    ['127.0.0.1:9000', 'http://2130706433:9000', true],
    ['127.0.0.1:9000', 'http://127.0.0.1:9001', false],
    ['localhost', 'http://127.0.0.1:80', false],
    ['[::1]:9000', 'http://[::1]:9000', true],
    ['[::1]:9000', 'http://[0:0::1]:9000', true],
    ['*', 'http://anything.example:1', true],
    ['https://brokers.example.com/osb', 'https://brokers.example.com/osb', true],
    ['https://brokers.example.com/osb', 'https://brokers.example.com/osb/mysql', true],
    ['https://brokers.example.com/osb', 'https://brokers.example.com/osbx', false],
    ['https://brokers.example.com/osb', 'https://brokers.example.com/osb/../admin', false],
    ['https://brokers.example.com/osb', 'http://brokers.example.com/osb', false],
    ['https://brokers.example.com', 'https://brokers.example.com.evil.test/', false],
    ['https://brokers.example.com', 'https://brokers.example.com:443/x', true],
    ['https://brokers.example.com/osb/', 'https://brokers.example.com/osb/x', true],
  ])('%s %s → %s', (entry, url, allowed) => {
    expect(BrokerUrlAllowList.from([entry]).allows(url)).toBe(allowed);
  });

  test('any matching entry allows; other schemes never', () => {
    const list = BrokerUrlAllowList.from(['a.example', 'https://b.example/osb']);
    expect(list.allows('http://a.example')).toBe(true);
    expect(list.allows('https://b.example/osb/x')).toBe(true);
    expect(list.allows('http://c.example')).toBe(false);
    expect(list.allows('ftp://a.example')).toBe(false);
    expect(list.allows('not a url')).toBe(false);
  });

  test.each(['', 'ftp://x.example', 'http://u:p@x.example', 'https://x.example/?q=1', 'host:port', 'host:70000', 'a..b', '[::1*]', 'a/b', 'x y'])(
    'the entry %j is refused with a message naming it',
    (entry) => {
      expect(() => BrokerUrlAllowList.from([entry])).toThrow(/^brokerUrlAllowList: /);
    },
  );
});
