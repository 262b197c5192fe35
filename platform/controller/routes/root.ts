import { Router } from 'express';
import type { ControllerDeps } from '../deps';
import { presenterOf } from '../http';

/**
 * `/` and `/v3`: what a client discovers first, as in Cloud Controller; the only routes
 * besides /oauth/token that answer without a token. `login` and `uaa` point at the token
 * endpoint's host, as Cloud Controller's root does.
 */
export function rootRoutes(deps: ControllerDeps): Router {
  const router = Router();
  const resources = [
    'apps', 'jobs', 'organizations', 'roles', 'service_brokers', 'service_credential_bindings', 'service_instances',
    'service_offerings', 'service_plans', 'spaces', 'users',
  ];
  router.get('/', (req, res) => {
    const presenter = presenterOf(deps, req);
    res.json({
      links: {
        self: presenter.href(''),
        cloud_controller_v3: { ...presenter.href('/v3'), meta: { version: '3.0.0-osbkit' } },
        login: presenter.href(''),
        uaa: presenter.href(''),
      },
    });
  });
  router.get('/v3', (req, res) => {
    const presenter = presenterOf(deps, req);
    res.json({ links: Object.fromEntries([['self', presenter.href('/v3')], ...resources.map((r) => [r, presenter.href(`/v3/${r}`)])]) });
  });
  return router;
}
