import { egressFromBindings, egressFromCredentials, MAX_EGRESS_RULES } from '../../../platform/controller/binding-egress';

describe('egressFromCredentials', () => {
  it('takes hostname and port, as the MySQL broker hands them out', () => {
    expect(egressFromCredentials({ hostname: '127.0.0.1', port: 3306, username: 'u', password: 'p' })).toEqual([{ destination: '127.0.0.1', port: 3306, protocol: 'tcp' }]);
  });

  it('takes host with a numeric string port', () => {
    expect(egressFromCredentials({ host: 'db.internal', port: '5432' })).toEqual([{ destination: 'db.internal', port: 5432, protocol: 'tcp' }]);
  });

  it('reads URLs, JDBC URLs and default ports of known schemes, without duplicates', () => {
    const credentials = {
      hostname: '10.0.0.5',
      port: 3306,
      uri: 'mysql://u:p@10.0.0.5:3306/db?reconnect=true',
      jdbcUrl: 'jdbc:mysql://10.0.0.5:3306/db?user=u',
      cache: { url: 'redis://cache.internal' },
      api: 'https://api.example.com/v1',
    };
    expect(egressFromCredentials(credentials)).toEqual([
      { destination: '10.0.0.5', port: 3306, protocol: 'tcp' },
      { destination: 'cache.internal', port: 6379, protocol: 'tcp' },
      { destination: 'api.example.com', port: 443, protocol: 'tcp' },
    ]);
  });

  it('ignores what is not a destination: no port, unknown schemes without a port, IPv6, text that is not a host', () => {
    expect(
      egressFromCredentials({
        hostname: 'db.internal',
        password: 'mysql://not really',
        dsn: 'custom://db.internal/x',
        ipv6: 'mysql://[::1]:3306/db',
        injected: { host: '1.2.3.4 accept', port: 1 },
        tooBig: { host: '1.2.3.4', port: 70000 },
      }),
    ).toEqual([]);
  });

  it('does not descend without end into nested credentials', () => {
    let nested: Record<string, unknown> = { host: 'deep.internal', port: 1 };
    for (let level = 0; level < 10; level += 1) nested = { inner: nested };
    expect(egressFromCredentials(nested)).toEqual([]);
  });
});

describe('egressFromBindings', () => {
  it('joins the bindings and caps the rules at what the cell accepts', () => {
    const many = Array.from({ length: 100 }, (_unused, index) => ({ hostname: `10.0.${Math.floor(index / 250)}.${(index % 250) + 1}`, port: 5432 }));
    const rules = egressFromBindings([...many, { hostname: '10.0.0.1', port: 5432 }]);
    expect(rules).toHaveLength(MAX_EGRESS_RULES);
    expect(rules[0]).toEqual({ destination: '10.0.0.1', port: 5432, protocol: 'tcp' });
  });
});
