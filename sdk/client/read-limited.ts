import type { IncomingMessage } from 'node:http';

/**
 * The answer's body as text, or undefined when it is larger than `limitBytes`: a declared
 * length over the limit is refused unread, and a body that grows past it is abandoned at the
 * first chunk that passes it. Either way `stop` is called, which must close the connection,
 * so the broker cannot make us read or buffer the rest. Rejects when the connection breaks
 * before the body ends.
 */
export function readLimited(answer: IncomingMessage, limitBytes: number, stop: () => void): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(answer.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limitBytes) {
      stop();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      outcome();
    };
    answer.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limitBytes) {
        settle(() => resolve(undefined));
        stop();
        return;
      }
      chunks.push(chunk);
    });
    answer.on('end', () => settle(() => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'))));
    answer.on('error', (error) => settle(() => reject(error)));
    // 'close' before 'end': the connection went away in the middle of the body.
    answer.on('close', () => settle(() => reject(new Error('the connection closed before the answer ended'))));
  });
}
