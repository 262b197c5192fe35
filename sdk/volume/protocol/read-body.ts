import type { IncomingMessage } from 'node:http';

export type BodyReadResult = { ok: true; text: string } | { ok: false; reason: 'too-large' | 'aborted' };

/**
 * Collects a request body up to `limitBytes`. Past the limit it stops keeping
 * data but keeps draining the socket, so the reply can still be delivered
 * instead of the connection being reset under the client.
 */
export function readBodyWithLimit(incoming: IncomingMessage, limitBytes: number): Promise<BodyReadResult> {
  const declared = Number(incoming.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    incoming.resume();
    return Promise.resolve({ ok: false, reason: 'too-large' });
  }

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const finish = (result: BodyReadResult): void => {
      if (finished) return;
      finished = true;
      resolve(result);
    };

    incoming.on('data', (chunk: Buffer) => {
      if (finished) return;
      size += chunk.length;
      if (size > limitBytes) {
        chunks.length = 0;
        finish({ ok: false, reason: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    incoming.on('end', () => finish({ ok: true, text: Buffer.concat(chunks).toString('utf8') }));
    incoming.on('error', () => finish({ ok: false, reason: 'aborted' }));
    incoming.on('close', () => finish({ ok: false, reason: 'aborted' }));
  });
}
