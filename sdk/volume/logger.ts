/**
 * The slice of a pino logger that the volume code uses. Kept structural so a
 * pino instance, a child logger or a test double can be passed without casts.
 */
export interface VolumeLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

const ignore = (): void => undefined;

export const silentVolumeLogger: VolumeLogger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
};
