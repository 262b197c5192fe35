/** JSON value types and the small helpers every layer needs to treat JSON safely. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * How deeply the JSON osbkit reads may nest (objects and arrays; `{}` is one level). Far
 * more than any catalog, parameters or context need, and far less than the few thousand
 * levels at which the recursive JSON.stringify, canonicalJson and deepFreeze overflow the
 * stack.
 */
export const DEFAULT_JSON_DEPTH_LIMIT = 64;

/**
 * Whether a parsed JSON value nests more than `limit` objects and arrays. Iterative, so a
 * value a million levels deep is measured without overflowing the stack; it stops at the
 * first container past the limit.
 */
export function exceedsJsonDepth(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const pending: object[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const container = pending.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    const children = Array.isArray(container) ? (container as unknown[]) : Object.values(container);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        pending.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/**
 * Freezes a JSON value and everything in it, for values several readers share. A value that
 * is already frozen is taken to be frozen all through, which keeps a second call cheap.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Key-order independent serialisation, so two requests that differ only in key order are
 * recognised as identical repeats.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}
