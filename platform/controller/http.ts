import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { accessOf } from './authentication';
import type { ControllerDeps } from './deps';
import { ApiError, apiErrors } from './errors';
import { Presenter } from './presenters';
import type { JobRecord } from './records';

/** Express glue shared by the route modules: who is asking, how answers look, and errors. */

/** The caller's user guid: what jobs record and brokers receive as the originating identity. */
export function userOf(req: Request): string {
  return accessOf(req).user.guid;
}

export function presenterOf(deps: ControllerDeps, req: Request): Presenter {
  return new Presenter(deps.store, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
}

/** A route parameter; express 5 types them loosely. */
export function param(req: Request, name: string): string {
  const value = (req.params as Record<string, string | string[] | undefined>)[name];
  return typeof value === 'string' ? value : '';
}

/** An answer that carries credentials or an app's environment: no cache may keep it. */
export function sendSecret(res: Response, body: unknown): void {
  res.set('Cache-Control', 'no-store').json(body);
}

/** 202 with the job in Location, as Cloud Controller answers requests that start async work. */
export function acceptedWithJob(res: Response, presenter: Presenter, job: JobRecord): void {
  const location = presenter.href(`/v3/jobs/${job.guid}`).href;
  res.status(202).location(location).json(presenter.job(job));
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Turns anything thrown into a CC v3 error body; unexpected errors are logged, never shown. */
export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let apiError: ApiError;
    const parserError = error as BodyParserError;
    if (error instanceof ApiError) apiError = error;
    // express's router fails to decode a path parameter such as /v3/apps/%ZZ with a URIError.
    else if (error instanceof URIError) apiError = apiErrors.invalidRequest(`the path ${JSON.stringify(req.path)} has a malformed percent-encoding`);
    else if (parserError.type === 'entity.parse.failed') apiError = apiErrors.messageParse('the request body is not valid JSON');
    else if (parserError.type === 'entity.too.large') apiError = apiErrors.tooLarge();
    else if (typeof parserError.type === 'string' && typeof parserError.status === 'number' && parserError.status < 500) {
      apiError = apiErrors.messageParse('the request body cannot be read');
    } else {
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed with an unexpected error');
      apiError = apiErrors.unknown();
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(apiError.status).json(apiError.toBody());
  };
}

/** One log line per request: method, route path, status and duration; never bodies or queries. */
export function requestLogger(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const began = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - began) / 1e6;
      logger.info({ method: req.method, path: req.path, status: res.statusCode, durationMs: Math.round(durationMs * 10) / 10 }, 'request');
    });
    next();
  };
}
