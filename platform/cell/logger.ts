/**
 * The slice of a pino logger the cell uses. Structural, so a pino instance, a child logger or a
 * test double fits without casts.
 */
export interface CellLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

const ignore = (): void => undefined;

export const silentCellLogger: CellLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/** Error text for logs and reasons; never a stack, which can carry host paths a client must not see. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
