import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControllerApi } from '../../../cli/api';

/** ControllerApi.list against a server that pages as Cloud Controller does. */
describe('ControllerApi.list', () => {
  let server: Server;
  let url: string;
  const requested: string[] = [];
  /** What each path answers; `next` links name another host, as a proxied API's may. */
  let pages: Record<string, { resources: Array<{ guid: string }>; next: string | null }> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      requested.push(req.url ?? '');
      const page = pages[req.url ?? ''];
      res.setHeader('content-type', 'application/json');
      if (!page) {
        res.statusCode = 404;
        res.end(JSON.stringify({ errors: [{ detail: `no page ${req.url}` }] }));
        return;
      }
      res.end(JSON.stringify({ pagination: { next: page.next === null ? null : { href: page.next } }, resources: page.resources }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    requested.length = 0;
  });

  const guids = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ guid: `g${from + i}` }));

  test('follows next to the last page, keeping each page\'s query, and returns every resource in order', async () => {
    pages = {
      '/v3/apps?space_guids=s1': { resources: guids(0, 50), next: 'https://api.elsewhere.example/v3/apps?space_guids=s1&page=2&per_page=50' },
      '/v3/apps?space_guids=s1&page=2&per_page=50': { resources: guids(50, 50), next: 'https://api.elsewhere.example/v3/apps?space_guids=s1&page=3&per_page=50' },
      '/v3/apps?space_guids=s1&page=3&per_page=50': { resources: guids(100, 4), next: null },
    };
    const all = await new ControllerApi(url, 'a-token').list('/v3/apps?space_guids=s1');
    expect(all.map((r) => r.guid)).toEqual(guids(0, 104).map((r) => r.guid));
    expect(requested).toEqual(['/v3/apps?space_guids=s1', '/v3/apps?space_guids=s1&page=2&per_page=50', '/v3/apps?space_guids=s1&page=3&per_page=50']);
  });

  test('a server whose next points back at a page already read is an error, not an endless loop', async () => {
    pages = {
      '/v3/apps': { resources: guids(0, 1), next: '/v3/apps?page=2' },
      '/v3/apps?page=2': { resources: guids(1, 1), next: '/v3/apps?page=2' },
    };
    await expect(new ControllerApi(url, 'a-token').list('/v3/apps')).rejects.toThrow('sent the page /v3/apps?page=2 twice');
  });
});
