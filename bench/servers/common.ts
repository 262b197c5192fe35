/** Shared by the benchmark servers: the same catalog, the same answers, a port from argv. */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parse } from 'yaml';

export const BENCH_CATALOG = parse(readFileSync(join(__dirname, '..', '..', '..', 'bench', 'catalog.yaml'), 'utf8')) as Record<string, unknown>;
export const CATALOG_BODY = JSON.stringify(BENCH_CATALOG);
export const PROVISION_BODY = JSON.stringify({ dashboard_url: 'https://dashboard.example/bench' });
export const BIND_BODY = JSON.stringify({ credentials: { username: 'bench', password: 'bench-password' } });

export function portArg(): number {
  const at = process.argv.indexOf('--port');
  return Number(process.argv[at + 1]);
}

export function arg(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

export function ready(port: number): void {
  process.send?.({ ready: port });
}

/** Reads and parses a request body, as any real server must; the baselines do no more. */
export function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined));
  });
}

/** The 201 of a provision or a bind, told apart by the path. */
export function answerCreated(res: ServerResponse, url: string): void {
  res.writeHead(201, { 'content-type': 'application/json' });
  res.end(url.includes('/service_bindings/') ? BIND_BODY : PROVISION_BODY);
}

/**
 * Who copies the WAL back into the database file: the store's background thread (`thread`,
 * the SDK's default) or SQLite inside the commit that crosses its threshold (`auto`).
 * bench:instructions uses `auto`: the thread wakes on wall time, so under callgrind its share
 * of a request grows with the host's load, while SQLite's own checkpoints do the same work
 * every so many pages, counted alike in every run.
 */
export function checkpointMode(): 'thread' | 'auto' {
  return arg('checkpoints') === 'auto' ? 'auto' : 'thread';
}
