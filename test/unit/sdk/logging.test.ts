import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroker, createLogDestination, createLogger, LogDestination, MemoryStore, type ServiceBroker } from '../../../sdk';
import { CREDENTIALS, Osb, paths, provisionBody } from '../../support/osb-harness';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osbkit-logging-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const freshFile = (): string => join(dir, `log-${++files}.ndjson`);
const read = (path: string): string => readFileSync(path, 'utf8');

describe('createLogDestination', () => {
  it('holds lines until the flush interval, then writes them all, in order', async () => {
    const path = freshFile();
    const destination = createLogDestination({ path, flushIntervalMs: 30 });
    destination.write('one\n');
    destination.write('two\n');
    destination.write('three\n');
    expect(read(path)).toBe('');
    await new Promise((r) => setTimeout(r, 120));
    expect(read(path)).toBe('one\ntwo\nthree\n');
    destination.end();
  });

  it('writes the buffer at once when the next line would not fit, and a line bigger than the buffer by itself', () => {
    const path = freshFile();
    const destination = createLogDestination({ path, flushIntervalMs: 60_000, bufferBytes: 100 });
    const a = `${'a'.repeat(59)}\n`;
    const b = `${'b'.repeat(59)}\n`;
    const huge = `${'h'.repeat(299)}\n`;
    destination.write(a);
    expect(read(path)).toBe('');
    destination.write(b);
    expect(read(path)).toBe(a);
    destination.write(huge);
    expect(read(path)).toBe(a + b + huge);
    destination.flushSync();
    expect(read(path)).toBe(a + b + huge);
    destination.end();
  });

  it('writes multi-byte characters whole, also where the buffer ends', () => {
    const path = freshFile();
    const destination = createLogDestination({ path, flushIntervalMs: 60_000, bufferBytes: 20 });
    destination.write('ééééé\n'); // 11 bytes
    destination.write('日本✓\n'); // 10 bytes: does not fit behind the first
    expect(read(path)).toBe('ééééé\n');
    destination.flushSync();
    expect(read(path)).toBe('ééééé\n日本✓\n');
    destination.end();
  });

  it('a descriptor that fails drops lines and counts them instead of throwing at the logger', () => {
    const path = freshFile();
    const fd = openSync(path, 'a');
    closeSync(fd);
    const destination = new LogDestination({ fd });
    destination.write('lost\n');
    expect(() => destination.flushSync()).not.toThrow();
    destination.write('also lost\n');
    destination.flushSync();
    // The failed batch, then the line written after the descriptor was known to be gone.
    expect(destination.dropped).toBe(2);
  });
});

describe('createLogger and the request line', () => {
  const lines: Array<Record<string, unknown>> = [];
  const capture = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  const broker: ServiceBroker = {
    async provision(request, ctx) {
      ctx.logger.info({ parameters: request.parameters, reply: { password: 'hunter2' } }, 'provisioning');
      if (request.instanceId === 'boom') throw new Error('database password=hunter2 refused');
      return {};
    },
    async deprovision() {},
  };

  // One plan that needs nothing but provision and deprovision.
  const catalog = {
    services: [{
      id: 'svc-log', name: 'log-db', description: 'A service for the logging test', bindable: false,
      plans: [{ id: 'plan-log', name: 'only', description: 'The only plan' }],
    }],
  };

  it('request lines carry the request fields; a broker\'s own log objects are still censored', async () => {
    const app = createBroker({ catalog, broker, store: new MemoryStore(), auth: CREDENTIALS, logger: createLogger({ destination: capture }) });
    const osb = new Osb(app.handler, CREDENTIALS);
    const res = await osb.put(paths.instance('inst-log'), provisionBody({ service_id: 'svc-log', plan_id: 'plan-log', parameters: { secret_sauce: 'x' } })).set('X-Broker-API-Request-Identity', 'req-log-1');
    expect(res.status).toBe(201);

    const request = lines.find((line) => line.msg === 'request' && line.instanceId === 'inst-log');
    expect(request).toMatchObject({ level: 30, name: 'osbkit', requestId: 'req-log-1', method: 'PUT', endpoint: 'provision', status: 201 });
    expect(typeof request!.durationMs).toBe('number');

    const own = lines.find((line) => line.msg === 'provisioning');
    expect(own).toMatchObject({ parameters: '[redacted]', reply: { password: '[redacted]' } });

    const failed = await osb.put(paths.instance('boom'), provisionBody({ service_id: 'svc-log', plan_id: 'plan-log' }));
    expect(failed.status).toBe(500);
    const error = lines.find((line) => line.msg === 'request failed' && line.instanceId === 'boom');
    expect(error).toMatchObject({ level: 50, status: 500, err: { message: 'database password=hunter2 refused' } });
    await app.close();
  });
});
