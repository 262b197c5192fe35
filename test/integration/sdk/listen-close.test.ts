import { Agent, request, type IncomingMessage } from 'node:http';
import type { ProvisionRequest, StepContext } from '../../../sdk';
import { ConformanceBroker } from '../../support/conformance-broker';
import { API_VERSION, CREDENTIALS, closeBrokers, paths, provisionBody, startBroker } from '../../support/osb-harness';

/**
 * app.close() also stops the servers app.listen() made: idle keep-alive connections do not
 * hold it up, a request under way still gets its answer, and afterwards nothing listens.
 */

afterEach(closeBrokers);

const authorization = `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64')}`;

function call(url: string, method: string, path: string, agent: Agent | undefined, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const sent = request(`${url}${path}`, {
      method,
      agent,
      headers: { authorization, 'x-broker-api-version': API_VERSION, ...(payload ? { 'content-type': 'application/json' } : {}) },
    }, (answer: IncomingMessage) => {
      let text = '';
      answer.on('data', (chunk: Buffer) => (text += chunk.toString()));
      answer.on('end', () => resolve({ status: answer.statusCode ?? 0, text }));
    });
    sent.on('error', reject);
    sent.end(payload);
  });
}

test('close() stops the server listen() made, although a keep-alive connection sits idle', async () => {
  const { app } = startBroker();
  const { url, server } = await app.listen(0);
  const agent = new Agent({ keepAlive: true });
  expect((await call(url, 'GET', '/v2/catalog', agent)).status).toBe(200);
  expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);

  await app.close();
  expect(server.listening).toBe(false);
  await expect(call(url, 'GET', '/v2/catalog', undefined)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  agent.destroy();
});

test('a request under way when close() is called still gets its answer, and close() waits for it', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered: () => void = () => undefined;
  const provisionStarted = new Promise<void>((resolve) => (entered = resolve));
  class GatedBroker extends ConformanceBroker {
    override async provision(request: ProvisionRequest, ctx: StepContext): ReturnType<ConformanceBroker['provision']> {
      entered();
      await gate;
      return super.provision(request, ctx);
    }
  }
  const { app } = startBroker({ broker: new GatedBroker() });
  const { url } = await app.listen(0);
  const answer = call(url, 'PUT', paths.instance('inst-close'), undefined, provisionBody());
  await provisionStarted;

  let closed = false;
  const closing = app.close().then(() => (closed = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(closed).toBe(false);
  release();
  expect((await answer).status).toBe(201);
  await closing;
  expect(closed).toBe(true);
});
