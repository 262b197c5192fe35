/**
 * The body as text, or undefined when it is larger than `limitBytes`: a declared length over
 * the limit is refused unread, and a body that grows past it is abandoned (`stop` aborts the
 * fetch) at the first chunk that passes it.
 */
export async function readLimited(response: Response, limitBytes: number, stop: () => void): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    stop();
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      stop();
      reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
