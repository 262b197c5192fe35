import type { WireSafeError } from './types';

export interface VolumeDriverErrorDetails {
  /** Text that may be shown to the app developer; see WireSafeError. */
  safeDescription?: string;
  /** The driver address the failing call went to, when there was one. */
  address?: string;
  cause?: unknown;
}

/**
 * The one error type of the volume protocol: the client throws it for a
 * non-empty `Err` and for transport failures, and a driver may throw it with
 * a `safeDescription` to have the server send a safe error.
 */
export class VolumeDriverError extends Error {
  readonly safeDescription: string | undefined;
  readonly address: string | undefined;

  constructor(message: string, details: VolumeDriverErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'VolumeDriverError';
    this.safeDescription = details.safeDescription;
    this.address = details.address;
  }
}

/** Builds the error a driver throws when the reason is fit for the app developer. */
export function safeVolumeError(safeDescription: string, internalMessage = safeDescription): VolumeDriverError {
  return new VolumeDriverError(internalMessage, { safeDescription });
}

export function encodeSafeError(safeDescription: string): string {
  const body: WireSafeError = { SafeDescription: safeDescription };
  return JSON.stringify(body);
}

/**
 * Reads a safe error out of an `Err` string. Any other text, including JSON
 * without a usable `SafeDescription`, is a plain error and yields undefined.
 */
export function decodeSafeError(err: string): string | undefined {
  if (!err.trimStart().startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(err);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const description: unknown = (parsed as Record<string, unknown>).SafeDescription;
  return typeof description === 'string' && description !== '' ? description : undefined;
}

/** Reads `safeDescription` off anything a driver threw, without trusting its type. */
export function safeDescriptionOf(thrown: unknown): string | undefined {
  if (typeof thrown !== 'object' || thrown === null) return undefined;
  const description: unknown = (thrown as { safeDescription?: unknown }).safeDescription;
  return typeof description === 'string' && description !== '' ? description : undefined;
}
