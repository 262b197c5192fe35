import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { ControllerDeps } from '../deps';
import { verifyAgainstDecoy, verifyPassword } from '../password-hash';
import { isJsonObject } from '../request-validation';
import { MAX_PASSWORD_LENGTH } from '../user-accounts';

/**
 * UAA's password grant, reduced: POST /oauth/token with grant_type=password, username and
 * password (form-encoded as UAA takes them, or JSON) answers an opaque bearer token with its
 * lifetime. POST /oauth/revoke ends a token early (RFC 7009). Errors here are OAuth 2's
 * `{ error, error_description }`, not Cloud Controller's, as UAA answers them.
 */

const BODY_LIMIT = '16kb';
const MAX_USERNAME_LENGTH = 255;

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
  }
}

function field(body: unknown, name: string): string | undefined {
  if (!isJsonObject(body)) return undefined;
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store');
  res.set('Pragma', 'no-cache');
}

export function oauthRoutes(deps: ControllerDeps): Router {
  const router = Router();
  const { store, tokens, logger } = deps;
  const parsers = [express.urlencoded({ extended: false, limit: BODY_LIMIT }), express.json({ limit: BODY_LIMIT })];

  router.post('/oauth/token', ...parsers, async (req, res) => {
    noStore(res);
    const grantType = field(req.body, 'grant_type');
    if (grantType === undefined) throw new OAuthError(400, 'invalid_request', "'grant_type' is required (this server supports 'password')");
    if (grantType !== 'password') throw new OAuthError(400, 'unsupported_grant_type', `grant type '${grantType.slice(0, 40)}' is not supported; use 'password'`);
    const username = field(req.body, 'username');
    const password = field(req.body, 'password');
    if (!username || !password || username.length > MAX_USERNAME_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      throw new OAuthError(400, 'invalid_request', "'username' and 'password' are required strings");
    }
    const user = store.identities.userByName(username);
    const hash = user && store.identities.passwordHash(user.guid);
    const verified = hash !== undefined ? await verifyPassword(password, hash) : await verifyAgainstDecoy(password);
    // The user may have been deleted while the hash was being checked.
    if (!user || !verified || !store.identities.user(user.guid)) {
      logger.warn('a password grant was refused: bad credentials');
      throw new OAuthError(401, 'unauthorized', 'Bad credentials');
    }
    const issued = tokens.issue(user.guid);
    logger.info({ user: user.guid }, 'issued an access token');
    res.json({
      access_token: issued.token,
      token_type: 'bearer',
      expires_in: issued.expiresInSeconds,
      scope: user.admin ? 'cloud_controller.admin cloud_controller.read cloud_controller.write' : 'cloud_controller.read cloud_controller.write',
    });
  });

  // RFC 7009: holding the token is what entitles one to revoke it; the answer is the same either way.
  router.post('/oauth/revoke', ...parsers, (req, res) => {
    noStore(res);
    const token = field(req.body, 'token');
    if (token === undefined) throw new OAuthError(400, 'invalid_request', "'token' is required");
    if (tokens.revoke(token)) logger.info('revoked an access token');
    res.status(200).json({});
  });

  router.use(['/oauth/token', '/oauth/revoke'], (error: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (error instanceof OAuthError) {
      res.status(error.status).json({ error: error.code, error_description: error.message });
      return;
    }
    const parserType = (error as { type?: unknown } | null)?.type;
    if (typeof parserType === 'string') {
      res.status(parserType === 'entity.too.large' ? 413 : 400).json({ error: 'invalid_request', error_description: 'the request body cannot be read' });
      return;
    }
    next(error);
  });

  return router;
}
