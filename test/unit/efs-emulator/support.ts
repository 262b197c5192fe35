import { EFSClient, EFSServiceException } from '@aws-sdk/client-efs';
import { startEfsEmulator, type EfsEmulatorOptions, type RunningEfsEmulator } from '../../../platform/efs-emulator';

/**
 * An emulator of the test's own on an ephemeral 127.0.0.1 port, and the real AWS SDK client
 * pointed at it, as the EFS broker will use it: explicit credentials (never the default chain,
 * which could try instance metadata), region us-east-1.
 */

export const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dummy-secret' };

export interface EmulatorFixture {
  emulator: RunningEfsEmulator;
  client: EFSClient;
  /** Another client of the same emulator, e.g. with other retry settings. */
  clientWith(config: Partial<ConstructorParameters<typeof EFSClient>[0]>): EFSClient;
  close(): Promise<void>;
}

export async function startFixture(options: EfsEmulatorOptions = {}): Promise<EmulatorFixture> {
  const emulator = await startEfsEmulator({ creationDelayMs: 0, deletionDelayMs: 0, ...options });
  const clients: EFSClient[] = [];
  const clientWith = (config: Partial<ConstructorParameters<typeof EFSClient>[0]>): EFSClient => {
    const client = new EFSClient({ region: 'us-east-1', endpoint: emulator.url, credentials: CREDENTIALS, maxAttempts: 1, ...config });
    clients.push(client);
    return client;
  };
  const client = clientWith({});
  return {
    emulator,
    client,
    clientWith,
    close: async () => {
      for (const each of clients) each.destroy();
      await emulator.close();
    },
  };
}

/** The SDK exception a call fails with; fails the test when the call succeeds or fails otherwise. */
export async function sdkError<T extends EFSServiceException>(call: Promise<unknown>, type: abstract new (...args: never[]) => T): Promise<T> {
  try {
    await call;
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(`expected ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  throw new Error(`expected ${type.name}, but the call succeeded`);
}

/** A file system id as EFS makes them: "fs-" and 17 hex digits. */
export const FILE_SYSTEM_ID = /^fs-[0-9a-f]{17}$/;
export const MOUNT_TARGET_ID = /^fsmt-[0-9a-f]{17}$/;
export const ACCESS_POINT_ID = /^fsap-[0-9a-f]{17}$/;

/** A well-formed SigV4 Authorization header (the emulator checks the signature only when given credentials). */
export const FAKE_SIGNATURE = {
  authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/elasticfilesystem/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
  'x-amz-date': '20260101T000000Z',
};

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

/** A plain HTTP request to the emulator, without the SDK: for what the SDK never sends. */
export async function rawRequest(baseUrl: string, method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as unknown };
}
