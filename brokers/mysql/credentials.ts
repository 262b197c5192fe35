import type { JsonObject } from '../../sdk';

/** What an application receives from a bind: the cf-mysql-broker shape buildpacks and Spring read. */
export interface BindingCredentialInput {
  hostname: string;
  port: number;
  database: string;
  username: string;
  password: string;
  /** PEM; when set the credentials tell clients to use TLS and how to verify the server. */
  caCertificate?: string;
}

/** TLS flags understood by both MySQL Connector/J and MariaDB Connector/J. */
const JDBC_TLS_FLAGS = 'useSSL=true&requireSSL=true&enabledTLSProtocols=TLSv1.2,TLSv1.3&enabledSslProtocolSuites=TLSv1.2,TLSv1.3';

export function formatCredentials(input: BindingCredentialInput): JsonObject {
  const host = urlHost(input.hostname);
  const user = encodeURIComponent(input.username);
  const password = encodeURIComponent(input.password);
  const database = encodeURIComponent(input.database);
  const tls = input.caCertificate !== undefined && input.caCertificate !== '';
  const credentials: JsonObject = {
    hostname: input.hostname,
    port: input.port,
    name: input.database,
    username: input.username,
    password: input.password,
    uri: `mysql://${user}:${password}@${host}:${input.port}/${database}?reconnect=true`,
    jdbcUrl: `jdbc:mysql://${host}:${input.port}/${database}?user=${user}&password=${password}${tls ? `&${JDBC_TLS_FLAGS}` : ''}`,
  };
  if (tls) {
    credentials.ca_certificate = input.caCertificate!;
    credentials.tls = true;
  }
  return credentials;
}

/** IPv6 literals need brackets inside a URL authority. */
function urlHost(hostname: string): string {
  return hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
}
