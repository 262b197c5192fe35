import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroker, createLogDestination, createLogger, LogDestination, MemoryStore, type ServiceBroker } from '../../../sdk';
import { requestLineWriter, type RequestLine } from '../../../sdk/request-line';
import pino, { type DestinationStream } from 'pino';
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

  describe('the request line written without pino, for loggers made by createLogger', () => {
    const fields: RequestLine[] = [
      { requestId: 'req-1', instanceId: 'inst-1', bindingId: 'bind-1', status: 201, durationMs: 0.125 },
      { requestId: undefined, instanceId: undefined, bindingId: undefined, status: 200, durationMs: 12 },
      { requestId: 'quotes " back\\slash \n newline \u0001 ünïcödé 🙂 \ud800', instanceId: 'i', bindingId: undefined, status: 410, durationMs: 1e-7 },
    ];
    let now: jest.SpyInstance;
    beforeEach(() => {
      now = jest.spyOn(Date, 'now').mockReturnValue(1_795_000_000_123);
    });
    afterEach(() => now.mockRestore());

    /** The lines of one logger, written both ways for each set of fields. */
    function bothWays(options: { name?: string; destination?: DestinationStream } = {}, level?: string): { fast: string[]; pino: string[] } {
      const written: string[] = [];
      const logger = createLogger({ ...options, destination: options.destination ?? { write: (line: string) => void written.push(line) } });
      const child = logger.child({ method: 'PUT', endpoint: 'bind' }, { redact: { paths: [] } });
      if (level) logger.level = child.level = level;
      const write = requestLineWriter(logger, child, 'PUT', 'bind');
      const fast = fields.map((line) => {
        write(line);
        return written.splice(0).join('');
      });
      const viaPino = fields.map((line) => {
        child.info(line, 'request');
        return written.splice(0).join('');
      });
      return { fast, pino: viaPino };
    }

    it('is byte for byte the line pino writes', () => {
      const { fast, pino: viaPino } = bothWays({ name: 'a "quoted" name' });
      expect(fast).toEqual(viaPino);
      expect(fast[0]).toContain('"requestId":"req-1","instanceId":"inst-1","bindingId":"bind-1","status":201,"durationMs":0.125,"msg":"request"}\n');
      expect(fast[1]).not.toContain('requestId');
    });

    it('follows the logger\'s level', () => {
      const { fast, pino: viaPino } = bothWays({}, 'warn');
      expect(fast).toEqual(['', '', '']);
      expect(viaPino).toEqual(['', '', '']);
    });

    it('leaves any other logger, and a multistream, to pino', () => {
      const written: string[] = [];
      const theirs = pino({ base: null, timestamp: false, messageKey: 'message' }, { write: (line: string) => void written.push(line) });
      requestLineWriter(theirs, theirs, 'GET', 'catalog')(fields[0]!);
      expect(JSON.parse(written[0]!)).toEqual({ level: 30, requestId: 'req-1', instanceId: 'inst-1', bindingId: 'bind-1', status: 201, durationMs: 0.125, message: 'request' });

      const routed: string[] = [];
      const multi = pino.multistream([{ level: 'info', stream: { write: (line: string) => void routed.push(line) } }]);
      const { fast, pino: viaPino } = bothWays({ destination: multi });
      expect(fast).toEqual(['', '', '']);
      expect(viaPino).toEqual(['', '', '']);
      expect(routed).toHaveLength(6);
      expect(routed.slice(0, 3)).toEqual(routed.slice(3));
    });
  });
});
