import { createServer, type IncomingMessage } from 'node:http';
import { BIND_BODY, CATALOG_BODY, PROVISION_BODY, portArg, ready } from './common';

/**
 * The limit: bare node:http answering the same three requests with the same bodies. It
 * still reads and parses each request body, as any real server must.
 */
function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined));
  });
}

const server = createServer((req, res) => {
  const url = req.url ?? '';
  if (req.method === 'GET' && url === '/v2/catalog') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(CATALOG_BODY);
    return;
  }
  if (req.method === 'PUT' && url.startsWith('/v2/service_instances/')) {
    void readBody(req).then(() => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(url.includes('/service_bindings/') ? BIND_BODY : PROVISION_BODY);
    });
    return;
  }
  res.writeHead(404).end();
});
const port = portArg();
server.listen(port, '127.0.0.1', () => ready(port));
