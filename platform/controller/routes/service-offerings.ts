import { Router } from 'express';
import type { Access } from '../access';
import { accessOf } from '../authentication';
import type { ControllerDeps } from '../deps';
import { apiErrors } from '../errors';
import { param, presenterOf } from '../http';
import type { ServiceOfferingRecord } from '../records';
import { matchesFilter, readListQuery } from '../request-validation';

/**
 * /v3/service_offerings: the marketplace's offerings, as brokers' catalogs describe them.
 * An offering is visible to whoever sees one of its plans.
 */
export function serviceOfferingRoutes(deps: ControllerDeps): Router {
  const router = Router();
  const { store } = deps;
  const sees = (access: Access, offering: ServiceOfferingRecord): boolean =>
    access.isAdmin || store.catalog.plansOfOffering(offering.guid).some((plan) => access.seesPlan(plan));

  router.get('/v3/service_offerings', (req, res) => {
    const query = readListQuery(req.query, ['names', 'service_broker_names', 'service_broker_guids', 'available']);
    const access = accessOf(req);
    const offerings = store.catalog.listOfferings().filter((offering) => {
      if (!sees(access, offering)) return false;
      const broker = store.brokers.get(offering.brokerGuid);
      return matchesFilter(query, 'names', offering.name)
        && matchesFilter(query, 'service_broker_names', broker?.name)
        && matchesFilter(query, 'service_broker_guids', offering.brokerGuid)
        && matchesFilter(query, 'available', String(offering.available));
    });
    const presenter = presenterOf(deps, req);
    res.json(presenter.list(offerings, query, '/v3/service_offerings', (o) => presenter.offering(o)));
  });

  router.get('/v3/service_offerings/:guid', (req, res) => {
    const offering = store.catalog.offering(param(req, 'guid'));
    if (!offering || !sees(accessOf(req), offering)) throw apiErrors.notFound('Service offering');
    res.json(presenterOf(deps, req).offering(offering));
  });

  return router;
}
