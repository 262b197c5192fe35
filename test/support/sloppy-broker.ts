import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A broker written the quick way, without osbkit, as many are: it works for the happy path a
 * demo shows and gets the rest wrong. `osbkit check` must catch each of its defects (numbered
 * below; the test names the check that catches each one):
 *
 *  1. no authentication at all;
 *  2. a provision always answers 201 and overwrites: no 200 for repeats, no 409 for conflicts;
 *  3. no check of required fields or of the catalog's ids;
 *  4. a body that is not JSON crashes the handler into a 500 with a stack trace;
 *  5. deleting something unknown answers 200 instead of 410;
 *  6. last_operation answers "succeeded" for anything, known or not;
 *  7. maintenance_info is ignored;
 *  8. binds never conflict;
 *  9. error bodies with a lower-case `error` and an empty `description`;
 * 10. concurrent identical provisions each "create" the instance.
 */

export const SLOPPY_SERVICE_ID = 'sloppy-service';
export const SLOPPY_PLAN_ID = 'sloppy-plan';

const CATALOG = {
  services: [
    {
      id: SLOPPY_SERVICE_ID,
      name: 'sloppy',
      description: 'A broker that cuts corners',
      bindable: true,
      plans: [
        {
          id: SLOPPY_PLAN_ID,
          name: 'basic',
          description: 'The basic plan',
          maintenance_info: { version: '1.0.0' },
          schemas: {
            service_binding: {
              create: { parameters: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', properties: { read_only: { type: 'boolean' } } } },
            },
          },
        },
        { id: 'sloppy-plan-2', name: 'premium', description: 'The premium plan' },
      ],
    },
  ],
};

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function sloppyBroker(): Server {
  const instances = new Map<string, unknown>();
  const bindings = new Map<string, unknown>();
  return createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://sloppy');
      const parts = url.pathname.split('/').filter(Boolean);
      const text = await readBody(req);
      try {
        if (req.method === 'GET' && url.pathname === '/v2/catalog') return send(res, 200, CATALOG);
        if (parts[0] !== 'v2' || parts[1] !== 'service_instances' || !parts[2]) return send(res, 404, { error: 'not found', description: '' });
        const instanceId = parts[2];
        if (parts[3] === 'last_operation' || parts[5] === 'last_operation') return send(res, 200, { state: 'succeeded' });
        if (parts[3] === 'service_bindings' && parts[4]) {
          const key = `${instanceId}/${parts[4]}`;
          if (req.method === 'PUT') {
            // Defect 4: JSON.parse throws and the stack goes to the client.
            bindings.set(key, JSON.parse(text));
            return send(res, 201, { credentials: { user: parts[4], password: 'hunter2' } });
          }
          if (req.method === 'DELETE') {
            bindings.delete(key);
            return send(res, 200, {});
          }
          if (req.method === 'GET') return bindings.has(key) ? send(res, 200, { credentials: {} }) : send(res, 404, { error: 'not found', description: '' });
        }
        if (req.method === 'PUT') {
          const body = JSON.parse(text) as unknown;
          // Defect 10: the instance is "created" a little later, so concurrent requests all create it.
          await new Promise((resolve) => setTimeout(resolve, 20));
          instances.set(instanceId, body);
          return send(res, 201, {});
        }
        if (req.method === 'PATCH') {
          JSON.parse(text);
          return send(res, 200, {});
        }
        if (req.method === 'DELETE') {
          instances.delete(instanceId);
          return send(res, 200, {});
        }
        if (req.method === 'GET') return instances.has(instanceId) ? send(res, 200, instances.get(instanceId)) : send(res, 404, { error: 'not found', description: '' });
        return send(res, 405, { error: 'method not allowed' });
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error instanceof Error ? (error.stack ?? error.message) : String(error));
      }
    })();
  });
}

export async function listenSloppyBroker(): Promise<{ server: Server; url: string }> {
  const server = sloppyBroker();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
