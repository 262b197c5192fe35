import type { NextFunction, Request, Response } from 'express';
import { exceedsJsonDepth } from '../../sdk/json';
import { apiErrors } from './errors';

/**
 * Refuses a parsed request body nested deeper than `limit` with 400, before any route reads
 * it. JSON.parse itself does not recurse, but JSON.stringify does: parameters nested 100,000
 * deep would otherwise overflow the stack only when the job serialises them for the broker.
 * The check is iterative, so no depth can overflow it.
 */
export function jsonDepthGuard(limit: number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (exceedsJsonDepth(req.body, limit)) {
      throw apiErrors.messageParse(`the request body nests objects and arrays more than ${limit} levels deep, which is the limit`);
    }
    next();
  };
}
