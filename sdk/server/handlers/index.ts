import type { RouteSpec } from '../context';
import { bindBinding } from './bind';
import { getBindingLastOperation } from './binding-last-operation';
import { getCatalog } from './catalog';
import { deprovisionInstance } from './deprovision';
import { fetchBinding } from './fetch-binding';
import { fetchInstance } from './fetch-instance';
import { getInstanceLastOperation } from './instance-last-operation';
import { provisionInstance } from './provision';
import { unbindBinding } from './unbind';
import { updateInstance } from './update';

const INSTANCE = '/v2/service_instances/:instance_id';
const BINDING = `${INSTANCE}/service_bindings/:binding_id`;

/** Every OSB 2.17 endpoint. Fetches and binding last_operation arrived in 2.14. */
export const ROUTES: RouteSpec[] = [
  { method: 'GET', path: '/v2/catalog', endpoint: 'catalog', handler: getCatalog, readsBody: false, minMinor: 0 },
  { method: 'PUT', path: INSTANCE, endpoint: 'provision', handler: provisionInstance, readsBody: true, minMinor: 0 },
  { method: 'PATCH', path: INSTANCE, endpoint: 'update', handler: updateInstance, readsBody: true, minMinor: 0 },
  { method: 'DELETE', path: INSTANCE, endpoint: 'deprovision', handler: deprovisionInstance, readsBody: false, minMinor: 0 },
  { method: 'GET', path: INSTANCE, endpoint: 'fetch_instance', handler: fetchInstance, readsBody: false, minMinor: 14 },
  { method: 'GET', path: `${INSTANCE}/last_operation`, endpoint: 'instance_last_operation', handler: getInstanceLastOperation, readsBody: false, minMinor: 0 },
  { method: 'PUT', path: BINDING, endpoint: 'bind', handler: bindBinding, readsBody: true, minMinor: 0 },
  { method: 'DELETE', path: BINDING, endpoint: 'unbind', handler: unbindBinding, readsBody: false, minMinor: 0 },
  { method: 'GET', path: BINDING, endpoint: 'fetch_binding', handler: fetchBinding, readsBody: false, minMinor: 14 },
  { method: 'GET', path: `${BINDING}/last_operation`, endpoint: 'binding_last_operation', handler: getBindingLastOperation, readsBody: false, minMinor: 14 },
];
