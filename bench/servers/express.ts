import express from 'express';
import { BIND_BODY, CATALOG_BODY, PROVISION_BODY, portArg, ready } from './common';

/** Bare express 5 with express.json(), answering the same requests with the same bodies. */
const app = express();
app.use(express.json());
app.get('/v2/catalog', (_req, res) => {
  res.type('application/json').send(CATALOG_BODY);
});
app.put('/v2/service_instances/:instance_id', (_req, res) => {
  res.status(201).type('application/json').send(PROVISION_BODY);
});
app.put('/v2/service_instances/:instance_id/service_bindings/:binding_id', (_req, res) => {
  res.status(201).type('application/json').send(BIND_BODY);
});
const port = portArg();
app.listen(port, '127.0.0.1', () => ready(port));
