import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The broker the client bench calls, in a process of its own so that its CPU is not counted
 * with the client's: a PUT is answered 201 with a small body, anything else 200 with a
 * last_operation body, both after the request's body has been read. Prints its port.
 */
const PROVISIONED = JSON.stringify({ dashboard_url: 'http://dashboard.example/instance' });
const SUCCEEDED = JSON.stringify({ state: 'succeeded', description: 'done' });

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = req.method === 'PUT' ? PROVISIONED : SUCCEEDED;
    res.writeHead(req.method === 'PUT' ? 201 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('disconnect', () => process.exit(0));
