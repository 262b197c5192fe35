import type { NextFunction, Request, Response } from 'express';
import { Access } from './access';
import type { ControllerDeps } from './deps';
import { apiErrors } from './errors';

/**
 * Every route behind this middleware needs `Authorization: Bearer <token>`, a token from
 * POST /oauth/token. A missing, unknown or expired token is a 401 before any route runs;
 * a valid one gives the request the caller's Access.
 */

const accesses = new WeakMap<Request, Access>();
const BEARER = /^Bearer +([^\s]+) *$/i;

export function authenticate(deps: ControllerDeps) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.headers.authorization;
    if (header === undefined || header.trim() === '') {
      res.set('WWW-Authenticate', 'Bearer realm="osbkit"');
      throw apiErrors.notAuthenticated();
    }
    const token = BEARER.exec(header)?.[1];
    const check = token === undefined ? undefined : deps.tokens.check(token);
    const user = check?.valid ? deps.store.identities.user(check.userGuid) : undefined;
    if (!user) {
      res.set('WWW-Authenticate', 'Bearer realm="osbkit", error="invalid_token"');
      if (token === undefined) throw apiErrors.invalidAuthToken('the Authorization header must be "Bearer <token>"');
      if (check?.valid === false && check.reason === 'expired') throw apiErrors.invalidAuthToken('the token has expired; log in again');
      throw apiErrors.invalidAuthToken('the token is not valid; log in again');
    }
    accesses.set(req, Access.of(deps.store.identities, user));
    next();
  };
}

/** The caller of a request that passed `authenticate`. */
export function accessOf(req: Request): Access {
  const access = accesses.get(req);
  if (!access) throw new Error(`${req.method} ${req.path} is served without authentication`);
  return access;
}
