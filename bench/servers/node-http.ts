import { createServer } from 'node:http';
import { CATALOG_BODY, answerCreated, portArg, readBody, ready } from './common';

/**
 * The limit: bare node:http answering the same three requests with the same bodies. It
 * still reads and parses each request body, as any real server must.
 */
const server = createServer((req, res) => {
  const url = req.url ?? '';
  if (req.method === 'GET' && url === '/v2/catalog') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(CATALOG_BODY);
    return;
  }
  if (req.method === 'PUT' && url.startsWith('/v2/service_instances/')) {
    void readBody(req).then(() => answerCreated(res, url));
    return;
  }
  res.writeHead(404).end();
});
const port = portArg();
server.listen(port, '127.0.0.1', () => ready(port));
