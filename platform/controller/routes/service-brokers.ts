import { Router, type Request } from 'express';
import { accessOf } from '../authentication';
import { deleteBroker, registerBroker, updateBroker } from '../broker-registration';
import type { ControllerDeps } from '../deps';
import { apiErrors } from '../errors';
import { acceptedWithJob, param, presenterOf, userOf } from '../http';
import type { BrokerCredentials, ServiceBrokerRecord } from '../records';
import {
  Problems, matchesFilter, objectBody, readListQuery, readObject, readString, rejectUnknownFields, type JsonObject,
} from '../request-validation';

/**
 * /v3/service_brokers: register, list, update (re-fetches the catalog) and remove brokers.
 * Brokers are global, so they are the admins' alone: others see none (404) and cannot
 * register one (403), as Cloud Controller treats global brokers.
 */

const MAX_URL_LENGTH = 2048;
const MAX_SECRET_LENGTH = 1024;

interface BrokerBody {
  name?: string;
  url?: string;
  credentials?: BrokerCredentials;
}

function readUrl(body: JsonObject, problems: Problems, required: boolean): string | undefined {
  const url = readString(body, 'url', problems, { required, maxLength: MAX_URL_LENGTH });
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.add("'url' must be a valid http or https URL");
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') problems.add("'url' must be a valid http or https URL");
  else if (parsed.username !== '' || parsed.password !== '') problems.add("'url' must not contain credentials; give them in 'authentication'");
  else if (parsed.search !== '' || parsed.hash !== '') problems.add("'url' must not have a query or a fragment");
  else return url;
  return undefined;
}

function readAuthentication(body: JsonObject, problems: Problems, required: boolean): BrokerCredentials | undefined {
  const authentication = readObject(body, 'authentication', problems);
  if (!authentication) {
    if (required && body.authentication === undefined) problems.add("'authentication' is required");
    return undefined;
  }
  rejectUnknownFields(authentication, ['type', 'credentials'], problems, 'authentication.');
  if (authentication.type !== 'basic') problems.add("'authentication.type' must be 'basic'");
  const credentials = readObject(authentication, 'credentials', problems, 'authentication.credentials');
  if (!credentials) {
    if (authentication.credentials === undefined) problems.add("'authentication.credentials' is required");
    return undefined;
  }
  rejectUnknownFields(credentials, ['username', 'password'], problems, 'authentication.credentials.');
  const username = readString(credentials, 'username', problems, { required: true }, 'authentication.credentials.username');
  // The password is checked by hand so no message can ever quote it.
  const password = credentials.password;
  if (typeof password !== 'string' || password === '' || password.length > MAX_SECRET_LENGTH) {
    problems.add(`'authentication.credentials.password' is required and must be a non-empty string of at most ${MAX_SECRET_LENGTH} characters`);
    return undefined;
  }
  return username === undefined ? undefined : { username, password };
}

function readBrokerBody(raw: unknown, creating: boolean): BrokerBody {
  const body = objectBody(raw);
  const problems = new Problems();
  rejectUnknownFields(body, ['name', 'url', 'authentication'], problems);
  const name = readString(body, 'name', problems, { required: creating });
  const url = readUrl(body, problems, creating);
  const credentials = readAuthentication(body, problems, creating);
  problems.throwIfAny();
  return { ...(name !== undefined ? { name } : {}), ...(url !== undefined ? { url } : {}), ...(credentials ? { credentials } : {}) };
}

export function serviceBrokerRoutes(deps: ControllerDeps): Router {
  const router = Router();
  const { store } = deps;

  const requireBroker = (req: Request): ServiceBrokerRecord => {
    const broker = store.brokers.get(param(req, 'guid'));
    if (!broker || !accessOf(req).isAdmin) throw apiErrors.notFound('Service broker');
    return broker;
  };

  router.get('/v3/service_brokers', (req, res) => {
    const access = accessOf(req);
    const query = readListQuery(req.query, ['names']);
    const brokers = store.brokers.list().filter((b) => access.isAdmin && matchesFilter(query, 'names', b.name));
    const presenter = presenterOf(deps, req);
    res.json(presenter.list(brokers, query, '/v3/service_brokers', (b) => presenter.broker(b)));
  });

  router.get('/v3/service_brokers/:guid', (req, res) => {
    res.json(presenterOf(deps, req).broker(requireBroker(req)));
  });

  router.post('/v3/service_brokers', (req, res) => {
    accessOf(req).requireAdmin();
    const user = userOf(req);
    const body = readBrokerBody(req.body, true);
    if (store.brokers.byName(body.name!)) throw apiErrors.unprocessable('Name must be unique');
    const job = registerBroker(deps, { name: body.name!, url: body.url!, credentials: body.credentials! }, user);
    acceptedWithJob(res, presenterOf(deps, req), job);
  });

  router.patch('/v3/service_brokers/:guid', (req, res) => {
    const user = userOf(req);
    const broker = requireBroker(req);
    const body = readBrokerBody(req.body, false);
    if (store.jobs.processingFor('service_brokers', broker.guid)) {
      throw apiErrors.unprocessable('Cannot update a broker when other operation is already in progress');
    }
    const sameName = body.name !== undefined ? store.brokers.byName(body.name) : undefined;
    if (sameName && sameName.guid !== broker.guid) throw apiErrors.unprocessable('Name must be unique');
    acceptedWithJob(res, presenterOf(deps, req), updateBroker(deps, broker, body, user));
  });

  router.delete('/v3/service_brokers/:guid', (req, res) => {
    const user = userOf(req);
    const broker = requireBroker(req);
    if (store.jobs.processingFor('service_brokers', broker.guid)) {
      throw apiErrors.unprocessable('Cannot delete a broker when other operation is already in progress');
    }
    const instances = store.instances.ofBroker(broker.guid);
    if (instances.length > 0) {
      throw apiErrors.unprocessable(`Can not remove brokers that have associated service instances: ${instances.map((i) => i.name).join(', ')}`);
    }
    acceptedWithJob(res, presenterOf(deps, req), deleteBroker(deps, broker, user));
  });

  return router;
}
