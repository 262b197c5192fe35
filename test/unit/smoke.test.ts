import request from 'supertest';
import pino from 'pino';
import { createBroker } from '../../sdk';
import { testCatalog, SERVICE_ID, PLAN_SMALL, PLAN_ASYNC } from '../support/fixtures';
import { RecordingBroker } from '../support/trivial-broker';
test('smoke', async () => {
  const broker = new RecordingBroker();
  const app = createBroker({ catalog: testCatalog(), broker, auth: { username: 'u', password: 'p' }, logger: pino({ level: 'info' }), engine: { stepIntervalMs: 20 } });
  await app.start();
  const h = app.handler;
  const v = { 'X-Broker-API-Version': '2.17' };
  let r = await request(h).get('/v2/catalog').auth('u','p').set(v); console.log(r.status, r.body.services.length);
  r = await request(h).put('/v2/service_instances/i1').auth('u','p').set(v).send({ service_id: SERVICE_ID, plan_id: PLAN_SMALL, organization_guid: 'o', space_guid: 's', parameters: { size: 3 } }); console.log(r.status, r.body);
  r = await request(h).put('/v2/service_instances/i1').auth('u','p').set(v).send({ service_id: SERVICE_ID, plan_id: PLAN_SMALL, organization_guid: 'o', space_guid: 's', parameters: { size: 3 } }); console.log(r.status, r.body);
  r = await request(h).put('/v2/service_instances/i1').auth('u','p').set(v).send({ service_id: SERVICE_ID, plan_id: PLAN_SMALL, organization_guid: 'o', space_guid: 's', parameters: { size: 4 } }); console.log(r.status, r.body);
  r = await request(h).put('/v2/service_instances/i2?accepts_incomplete=true').auth('u','p').set(v).send({ service_id: SERVICE_ID, plan_id: PLAN_ASYNC, organization_guid: 'o', space_guid: 's' }); console.log(r.status, r.body);
  const op = r.body.operation;
  for (let i=0;i<5;i++){ r = await request(h).get(`/v2/service_instances/i2/last_operation?operation=${op}`).auth('u','p').set(v); console.log(r.status, r.body, r.headers['retry-after']); await new Promise(r=>setTimeout(r,30)); }
  r = await request(h).put('/v2/service_instances/i1/service_bindings/b1').auth('u','p').set(v).send({ service_id: SERVICE_ID, plan_id: PLAN_SMALL, bind_resource: {app_guid: 'a'} }); console.log(r.status, r.body);
  r = await request(h).get('/v2/service_instances/i1/service_bindings/b1').auth('u','p').set(v); console.log(r.status, r.body);
  r = await request(h).delete(`/v2/service_instances/i1?service_id=${SERVICE_ID}&plan_id=${PLAN_SMALL}`).auth('u','p').set(v); console.log(r.status, r.body);
  r = await request(h).delete(`/v2/service_instances/i1/service_bindings/b1?service_id=${SERVICE_ID}&plan_id=${PLAN_SMALL}`).auth('u','p').set(v); console.log(r.status, r.body);
  r = await request(h).delete(`/v2/service_instances/i1?service_id=${SERVICE_ID}&plan_id=${PLAN_SMALL}`).auth('u','p').set(v); console.log(r.status, r.body);
  r = await request(h).delete(`/v2/service_instances/i1?service_id=${SERVICE_ID}&plan_id=${PLAN_SMALL}`).auth('u','p').set(v); console.log(r.status, r.body);
  console.log(broker.calls);
  await app.close();
}, 20000);
