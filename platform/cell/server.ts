import { DEFAULT_JSON_DEPTH_LIMIT, exceedsJsonDepth } from '../../sdk/json';
import express, { type NextFunction, type Request, type Response } from 'express';
import { matchesApiSecret, validApiSecret } from './api-secret';
import type { Cell } from './cell';
import { describeError, type CellLogger } from './logger';
import type { CellErrorBody } from './types';
import { InvalidFieldError, isValidAppGuid, parseDesiredLrp } from './validation';

/** The part of a Cell the HTTP API drives. */
export type CellApi = Pick<Cell, 'desire' | 'stop' | 'status' | 'logs' | 'health'>;

export interface CellAppOptions {
  /** Every request must carry `Authorization: Bearer <apiSecret>`; see api-secret.ts. */
  apiSecret: string;
}

/** An error that is safe to show the client as it is. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
    readonly field?: string,
  ) {
    super(description);
  }

  body(): CellErrorBody {
    return this.field === undefined ? { error: this.code, description: this.message } : { error: this.code, description: this.message, field: this.field };
  }
}

const BODY_LIMIT = '1mb';

function appGuidParam(request: Request): string {
  const guid = request.params.guid;
  if (typeof guid !== 'string' || !isValidAppGuid(guid)) {
    throw new ApiError(400, 'InvalidField', 'guid must be 1-128 characters of letters, digits, ".", "_" or "-"', 'guid');
  }
  return guid;
}

function unknownApp(guid: string): ApiError {
  return new ApiError(404, 'NotFound', `app ${guid} is not known to this cell`);
}

function booleanQuery(request: Request, name: string, fallback: boolean): boolean {
  const value: unknown = request.query[name];
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ApiError(400, 'InvalidField', `${name} must be "true" or "false"`, name);
}

/** Maps any error to a status and a body; unexpected ones are logged and never shown. */
function toApiError(error: unknown, logger: CellLogger): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof InvalidFieldError) return new ApiError(400, 'InvalidField', error.message, error.field);
  const bodyParserType = (error as { type?: unknown } | null)?.type;
  if (bodyParserType === 'entity.parse.failed') return new ApiError(400, 'InvalidJson', 'the request body is not valid JSON', 'body');
  if (bodyParserType === 'entity.too.large') return new ApiError(413, 'PayloadTooLarge', `the request body exceeds ${BODY_LIMIT}`, 'body');
  if (typeof bodyParserType === 'string') return new ApiError(400, 'BadRequest', 'the request body cannot be read', 'body');
  logger.error({ err: describeError(error) }, 'cell API request failed');
  return new ApiError(500, 'InternalError', 'internal error');
}

function streamLogs(cell: CellApi, guid: string, recent: boolean, request: Request, response: Response): void {
  response.status(200).type('application/x-ndjson');
  response.flushHeaders();
  const write = (line: unknown): void => {
    response.write(`${JSON.stringify(line)}\n`);
  };
  const subscription = cell.logs(guid, { recent, follow: write });
  if (subscription === undefined) {
    response.end();
    return;
  }
  subscription.recent.forEach(write);
  request.on('close', () => subscription.close());
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * The cell's JSON API for the controller. Handlers read as straight lines: parse, call the cell,
 * answer; every error goes through one mapping. Only a caller holding the API secret gets
 * past the first middleware, before any body is read.
 */
export function createCellApp(cell: CellApi, logger: CellLogger, options: CellAppOptions): express.Express {
  const apiSecret = validApiSecret(options.apiSecret);
  const app = express();
  app.disable('x-powered-by');
  app.use((request, response, next) => {
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (presented !== undefined && matchesApiSecret(apiSecret, presented)) {
      next();
      return;
    }
    logger.warn({ method: request.method, path: request.path, credentials: presented === undefined ? 'none' : 'wrong' }, 'refused a cell API request without the API secret');
    response.set('WWW-Authenticate', 'Bearer realm="osbkit-cell"');
    next(new ApiError(401, 'Unauthorized', 'the cell API answers only its controller: send Authorization: Bearer <the cell API secret>'));
  });
  app.use(express.json({ limit: BODY_LIMIT }));
  // Desired state is copied and compared with the recursive JSON.stringify; a deep body must stop here.
  app.use((request, _response, next) => {
    if (exceedsJsonDepth(request.body, DEFAULT_JSON_DEPTH_LIMIT)) {
      next(new ApiError(400, 'InvalidJson', `the request body nests objects and arrays more than ${DEFAULT_JSON_DEPTH_LIMIT} levels deep, which is the limit`, 'body'));
      return;
    }
    next();
  });

  app.get('/v1/health', (_request, response) => {
    response.json(cell.health());
  });

  app.put('/v1/apps/:guid', (request, response) => {
    const guid = appGuidParam(request);
    const lrp = parseDesiredLrp(request.body);
    const status = cell.desire(guid, lrp);
    response.status(202).json(status);
  });

  app.get('/v1/apps/:guid', (request, response) => {
    const guid = appGuidParam(request);
    const status = cell.status(guid);
    if (status === undefined) throw unknownApp(guid);
    response.json(status);
  });

  app.delete('/v1/apps/:guid', async (request, response) => {
    const guid = appGuidParam(request);
    if (!(await cell.stop(guid))) throw unknownApp(guid);
    response.status(204).end();
  });

  app.get('/v1/apps/:guid/logs', (request, response) => {
    const guid = appGuidParam(request);
    const recent = booleanQuery(request, 'recent', true);
    const follow = booleanQuery(request, 'follow', false);
    if (follow) {
      if (cell.logs(guid, { recent: false }) === undefined) throw unknownApp(guid);
      streamLogs(cell, guid, recent, request, response);
      return;
    }
    const subscription = cell.logs(guid, { recent });
    if (subscription === undefined) throw unknownApp(guid);
    response.json(subscription.recent);
  });

  app.use((request, _response, next) => {
    next(new ApiError(404, 'NotFound', `no route for ${request.method} ${request.path}`));
  });

  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const apiError = toApiError(error, logger);
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(apiError.status).json(apiError.body());
  });

  return app;
}
