import { badRequest } from './errors';

/**
 * Marker / NextToken pagination. A token is opaque to the caller; here it names the position
 * of the next item (its creation sequence number, or its index for tags), so an item deleted
 * between two pages does not shift the rest.
 */

export interface Page<T> {
  items: T[];
  next?: string;
}

const encode = (kind: string, position: number): string => Buffer.from(`${kind}:${position}`, 'utf8').toString('base64url');

function decode(kind: string, token: string, parameter: string): number {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const match = /^([a-z-]+):(\d{1,15})$/.exec(text);
  if (!match || match[1] !== kind || encode(kind, Number(match[2])) !== token) throw badRequest(`Invalid ${parameter}: '${token}'`);
  return Number(match[2]);
}

/** One page of `items`, which are in ascending `position` order. */
export function paginate<T>(items: readonly T[], position: (item: T) => number, options: { kind: string; token?: string; pageSize: number; parameter: string }): Page<T> {
  const from = options.token === undefined ? undefined : decode(options.kind, options.token, options.parameter);
  const rest = from === undefined ? items : items.filter((item) => position(item) >= from);
  const page = rest.slice(0, options.pageSize);
  const following = rest[options.pageSize];
  return following === undefined ? { items: page } : { items: page, next: encode(options.kind, position(following)) };
}
