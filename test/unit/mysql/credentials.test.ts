import { formatCredentials } from '../../../brokers/mysql/credentials';
import { PASSWORD_LENGTH, generatePassword } from '../../../brokers/mysql/password';

describe('formatCredentials', () => {
  const base = { hostname: 'db.example.com', port: 3306, database: 'osb_abc_0123456789abcdef', username: 'u_x_0123456789abcdef', password: 'Abc123' };

  it('has the fields CF buildpacks and Spring connectors read', () => {
    expect(formatCredentials(base)).toEqual({
      hostname: 'db.example.com',
      port: 3306,
      name: 'osb_abc_0123456789abcdef',
      username: 'u_x_0123456789abcdef',
      password: 'Abc123',
      uri: 'mysql://u_x_0123456789abcdef:Abc123@db.example.com:3306/osb_abc_0123456789abcdef?reconnect=true',
      jdbcUrl: 'jdbc:mysql://db.example.com:3306/osb_abc_0123456789abcdef?user=u_x_0123456789abcdef&password=Abc123',
    });
  });

  it('URL-encodes every part that could break the URL', () => {
    const credentials = formatCredentials({ ...base, username: 'us@er:x', password: 'p@ss/w:rd?&#%', database: 'd b' });
    expect(credentials.uri).toBe('mysql://us%40er%3Ax:p%40ss%2Fw%3Ard%3F%26%23%25@db.example.com:3306/d%20b?reconnect=true');
    expect(credentials.jdbcUrl).toBe('jdbc:mysql://db.example.com:3306/d%20b?user=us%40er%3Ax&password=p%40ss%2Fw%3Ard%3F%26%23%25');
    const parsed = new URL(credentials.uri as string);
    expect(decodeURIComponent(parsed.username)).toBe('us@er:x');
    expect(decodeURIComponent(parsed.password)).toBe('p@ss/w:rd?&#%');
    expect(parsed.searchParams.get('reconnect')).toBe('true');
    // The raw values stay raw in their own fields.
    expect(credentials.password).toBe('p@ss/w:rd?&#%');
  });

  it('brackets IPv6 hosts in URLs only', () => {
    const credentials = formatCredentials({ ...base, hostname: '::1' });
    expect(credentials.hostname).toBe('::1');
    expect(credentials.uri).toContain('@[::1]:3306/');
    expect(credentials.jdbcUrl).toContain('jdbc:mysql://[::1]:3306/');
  });

  it('adds the CA and TLS flags only when a CA is configured', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const credentials = formatCredentials({ ...base, caCertificate: pem });
    expect(credentials.ca_certificate).toBe(pem);
    expect(credentials.tls).toBe(true);
    expect(credentials.jdbcUrl).toMatch(/&useSSL=true&requireSSL=true&enabledTLSProtocols=TLSv1\.2,TLSv1\.3/);
    expect(formatCredentials(base)).not.toHaveProperty('ca_certificate');
    expect(formatCredentials({ ...base, caCertificate: '' })).not.toHaveProperty('tls');
  });
});

describe('generatePassword', () => {
  it('is alphanumeric, at least 24 characters and different every time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const password = generatePassword();
      expect(password).toMatch(/^[A-Za-z0-9]+$/);
      expect(password.length).toBe(PASSWORD_LENGTH);
      seen.add(password);
    }
    expect(PASSWORD_LENGTH).toBeGreaterThanOrEqual(24);
    expect(seen.size).toBe(200);
  });

  it('refuses short lengths', () => {
    expect(() => generatePassword(16)).toThrow();
  });
});
