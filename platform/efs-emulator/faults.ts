import { internalServerError, throttlingException, type EfsError } from './errors';
import type { RandomSource } from './random';

/** Faults injected into requests that passed authentication, before the operation runs. */
export interface FaultSettings {
  /** Fraction (0..1) of requests answered with ThrottlingException. */
  throttleRate: number;
  /** Fraction (0..1) of requests answered with 500 InternalServerError. */
  errorRate: number;
  /** Added to every request before it is answered, in milliseconds. */
  latencyMs: number;
}

export const NO_FAULTS: FaultSettings = { throttleRate: 0, errorRate: 0, latencyMs: 0 };

export class FaultSettingsError extends Error {}

export function checkFaultSettings(settings: FaultSettings): FaultSettings {
  for (const name of ['throttleRate', 'errorRate'] as const) {
    const rate = settings[name];
    if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw new FaultSettingsError(`${name} must be a fraction from 0 to 1, got ${rate}`);
  }
  if (!Number.isInteger(settings.latencyMs) || settings.latencyMs < 0) throw new FaultSettingsError(`latencyMs must be a whole number of milliseconds >= 0, got ${settings.latencyMs}`);
  if (settings.throttleRate + settings.errorRate > 1) throw new FaultSettingsError('throttleRate and errorRate together must not exceed 1');
  return { ...settings };
}

/**
 * The fault for one request, or undefined. One draw decides both: [0, throttleRate) throttles,
 * the next errorRate-wide slice fails with 500, the rest passes; so a seeded source gives the
 * same sequence of outcomes whatever the rates.
 */
export function drawFault(settings: FaultSettings, random: RandomSource, throttleStatus: 400 | 429): EfsError | undefined {
  if (settings.throttleRate === 0 && settings.errorRate === 0) return undefined;
  const draw = random.next();
  if (draw < settings.throttleRate) return throttlingException(throttleStatus);
  if (draw < settings.throttleRate + settings.errorRate) return internalServerError();
  return undefined;
}
