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
