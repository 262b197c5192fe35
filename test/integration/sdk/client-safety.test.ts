import {
  OsbClient, OsbMalformedResponseError, OsbPollingTimeoutError, OsbRequestError, OsbResponseError,
} from '../../../sdk/client';
import { BROKER_TEXT_LIMIT } from '../../../sdk/client/broker-text';
import { DEFAULT_JSON_DEPTH_LIMIT } from '../../../sdk/json';
import { closeRawServers, startRawServer, type RawHandle } from '../../support/raw-server';

/**
 * What the client does with brokers that misbehave on purpose or by accident: answers too
 * large or too deep, redirects, error bodies that are not the broker's to show, and a
 * Retry-After longer than the polling limit.
 */

jest.setTimeout(30_000);

afterEach(closeRawServers);

function answer(status: number, body: string, headers: Record<string, string> = {}): RawHandle {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
}

const provisionBody = { service_id: 's', plan_id: 'p', organization_guid: 'o', space_guid: 'sp' };

const FULL_SIZE = 100 * 1024 * 1024;

/**
 * A catalog of FULL_SIZE bytes (whitespace inside the services array) streamed in 64 KiB
 * pieces, each written only once the socket took the one before; `written` resolves with the
 * bytes the socket took before it closed.
 */
function streamingCatalog(): { handle: RawHandle; written: Promise<number> } {
  let resolveWritten!: (bytes: number) => void;
  const written = new Promise<number>((resolve) => (resolveWritten = resolve));
  const handle: RawHandle = (_req, res) => {
    const piece = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    res.on('close', () => resolveWritten(sent));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"services":[');
    const pump = (): void => {
      while (sent < FULL_SIZE) {
        if (res.destroyed) return;
        sent += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end(']}');
    };
    pump();
  };
  return { handle, written };
}

describe('answer size limits', () => {
  test('a catalog larger than the limit is refused, and reading stops at the limit', async () => {
    const catalog = streamingCatalog();
    const broker = await startRawServer(catalog.handle);
    const limit = 256 * 1024;
    const error = await new OsbClient({ url: broker.url, catalogLimitBytes: limit }).getCatalog().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OsbMalformedResponseError);
    expect((error as Error).message).toContain(`larger than the limit of ${limit} bytes`);
    // The client closed the connection: the broker could not write the rest. Socket buffers
    // on both sides hold a few MB at most.
    const written = await catalog.written;
    expect(written).toBeLessThan(FULL_SIZE / 5);
  });

  test('the catalog limit defaults to 10 MB', async () => {
    const catalog = streamingCatalog();
    const broker = await startRawServer(catalog.handle);
    const error = await new OsbClient({ url: broker.url }).getCatalog().catch((e: unknown) => e);
    expect((error as Error).message).toContain(`larger than the limit of ${10 * 1024 * 1024} bytes`);
    expect(await catalog.written).toBeLessThan(FULL_SIZE / 2);
  });

  test('a declared Content-Length over the limit is refused before the body is read', async () => {
    const broker = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) });
      res.write('{"services":[');
      // The rest never comes: a client that waited for it would time out instead.
    });
    const error = await new OsbClient({ url: broker.url, timeoutMs: 20_000 }).provision('i', provisionBody).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OsbMalformedResponseError);
    expect((error as Error).message).toContain(`larger than the limit of ${1024 * 1024} bytes`);
  });

  test('other answers are limited to 1 MB by default, and the limit is configurable', async () => {
    const big = JSON.stringify({ dashboard_url: 'x'.repeat(1024 * 1024) });
    const broker = await startRawServer(answer(201, big));
    const refused = await new OsbClient({ url: broker.url }).provision('i', provisionBody).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OsbMalformedResponseError);
    expect(refused).toMatchObject({ status: 201 });
    expect((refused as Error).message).toContain(`larger than the limit of ${1024 * 1024} bytes`);
    const accepted = await new OsbClient({ url: broker.url, answerLimitBytes: 2 * 1024 * 1024 }).provision('i', provisionBody);
    expect(accepted.status).toBe(201);
  });

  test('an error answer over the limit keeps its status and loses only its body', async () => {
    const broker = await startRawServer(answer(422, JSON.stringify({ error: 'AsyncRequired', description: 'x'.repeat(2 * 1024 * 1024) })));
    const error = await new OsbClient({ url: broker.url }).provision('i', provisionBody).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OsbResponseError);
    expect(error).toMatchObject({ status: 422 });
    expect((error as OsbResponseError).body).toEqual({});
  });
});

describe('answers nested too deep', () => {
  const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  test('a catalog nested 100,000 levels deep is malformed, naming the limit', async () => {
    const broker = await startRawServer(answer(200, `{"services":[],"x":${deep(100_000)}}`));
    const error = await new OsbClient({ url: broker.url }).getCatalog().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OsbMalformedResponseError);
    expect((error as Error).message).toContain(`${DEFAULT_JSON_DEPTH_LIMIT} levels`);
  });

  test('the depth limit is configurable', async () => {
    const broker = await startRawServer(answer(200, `{"services":[],"x":${deep(5)}}`));
    expect((await new OsbClient({ url: broker.url }).getCatalog()).status).toBe(200);
    const error = await new OsbClient({ url: broker.url, jsonDepthLimit: 4 }).getCatalog().catch((e: unknown) => e);
    expect((error as Error).message).toContain('4 levels');
  });
});

describe('requests that cannot be sent', () => {
  test('a body too deep to serialise is an OsbRequestError, and nothing is sent', async () => {
    const broker = await startRawServer(answer(201, '{}'));
    let parameters: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) parameters = { a: parameters };
    const error = await new OsbClient({ url: broker.url }).provision('i', { ...provisionBody, parameters }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OsbRequestError);
    expect(broker.requests).toEqual([]);
  });

  test('an old fetch option is refused at construction rather than ignored while real requests go out', () => {
    const options = { url: 'http://127.0.0.1:1', fetch: () => Promise.reject(new Error('never called')) };
    expect(() => new OsbClient(options)).toThrow(/the fetch option is gone/);
  });

  test.each([
    ['not a URL', 'http://[not-a-host/osb', /not a valid URL/],
    ['another scheme', 'ftp://127.0.0.1/osb', /scheme ftp: is not http or https/],
    ['credentials in the URL', 'http://user:secret@127.0.0.1/osb', /must not include credentials/],
  ])('a broker URL with %s is an OsbRequestError (nothing sent, so no orphan mitigation), on every call', async (_case, url, message) => {
    const client = new OsbClient({ url });
    for (let i = 0; i < 2; i++) {
      const error = await client.getCatalog().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OsbRequestError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('secret');
    }
  });
});

describe('redirects', () => {
  test('are not followed: a 3xx is an error naming the status, and its target hears nothing', async () => {
    const target = await startRawServer(answer(200, '{"services":[]}'));
    const redirecting = await startRawServer(answer(302, '', { location: `${target.url}/v2/catalog` }));
    const error = await new OsbClient({ url: redirecting.url, username: 'u', password: 'p' }).getCatalog().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OsbResponseError);
    expect(error).toMatchObject({ status: 302 });
    expect((error as Error).message).toContain('redirects are not followed');
    expect(target.requests).toEqual([]);
  });
});

describe('what error messages quote', () => {
  test('a body that is not JSON is never quoted', async () => {
    const broker = await startRawServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('INTERNAL-SECRET-VALUE=hunter2');
    });
    const error = await new OsbClient({ url: broker.url }).getCatalog().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OsbResponseError);
    expect((error as OsbResponseError).status).toBe(500);
    expect((error as OsbResponseError).description).toBeUndefined();
    expect(JSON.stringify({ message: (error as Error).message, body: (error as OsbResponseError).body })).not.toContain('hunter2');
  });

  test('only the description, cleaned of control characters and cut short', async () => {
    const description = `first line\nsecond\u0007line\u001b[31m red \u202e${'x'.repeat(5_000)}`;
    const broker = await startRawServer(answer(500, JSON.stringify({ error: 'Bad\nCode', description, secret_field: 'not-shown-9t3' })));
    const error = (await new OsbClient({ url: broker.url }).getCatalog().catch((e: unknown) => e)) as OsbResponseError;
    expect(error.description).toMatch(/^first line second line \[31m red x+/);
    expect(error.description!.length).toBeLessThanOrEqual(BROKER_TEXT_LIMIT);
    // eslint-disable-next-line no-control-regex
    expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(error.message).not.toContain('not-shown-9t3');
    expect(error.message.length).toBeLessThan(BROKER_TEXT_LIMIT * 2 + 100);
  });

  test('a malformed last_operation state is not echoed at length', async () => {
    const broker = await startRawServer(answer(200, JSON.stringify({ state: `SECRET-${'y'.repeat(10_000)}` })));
    const error = await new OsbClient({ url: broker.url }).instanceLastOperation('i').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OsbMalformedResponseError);
    expect((error as Error).message.length).toBeLessThan(BROKER_TEXT_LIMIT + 200);
  });
});

describe('polling up to maximum_polling_duration', () => {
  /** last_operation answers "in progress" with Retry-After: 5 until `finishAt` polls, then succeeded. */
  function slowOperation(finishAt: number): RawHandle {
    let polls = 0;
    return (_req, res) => {
      polls += 1;
      const state = polls >= finishAt ? 'succeeded' : 'in progress';
      res.writeHead(200, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end(JSON.stringify({ state }));
    };
  }

  test('when the next Retry-After would pass the limit, it polls once more at the limit', async () => {
    const broker = await startRawServer(slowOperation(2));
    const began = Date.now();
    const done = await new OsbClient({ url: broker.url }).waitForOperation({ instanceId: 'i' }, { maxPollingSeconds: 0.3 });
    expect(done.body.state).toBe('succeeded');
    expect(broker.requests).toHaveLength(2);
    // It did not wait the 5 s the broker asked for.
    expect(Date.now() - began).toBeLessThan(4_000);
  });

  test('after that last poll it gives up', async () => {
    const broker = await startRawServer(slowOperation(Infinity));
    const began = Date.now();
    const outcome = await new OsbClient({ url: broker.url }).waitForOperation({ instanceId: 'i' }, { maxPollingSeconds: 0.3 }).catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(OsbPollingTimeoutError);
    expect(broker.requests).toHaveLength(2);
    expect(Date.now() - began).toBeLessThan(4_000);
  });
});
