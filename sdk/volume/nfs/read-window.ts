import type { Nfs3 } from './nfs3';

/**
 * Sequential reading with a window of READs outstanding: while the caller consumes one
 * chunk, the next `window - 1` are already on the wire. Chunks come out in file order.
 */

export interface ReadWindowOptions {
  /** First byte to read. Default 0. */
  start?: number;
  /** One past the last byte to read; default: until the server reports end of file. */
  end?: number;
  /** Bytes per READ (FSINFO's rtpref is the server's preference). */
  chunkSize: number;
  /** READs outstanding at once. */
  window: number;
  /** The file's size when opened: no READs are queued past it until the server says the file goes on. */
  sizeHint: number;
}

interface Slot {
  requested: number;
  result: Promise<{ data: Buffer; eof: boolean }>;
}

export async function* readWindow(nfs: Pick<Nfs3, 'read'>, handle: Buffer, options: ReadWindowOptions): AsyncGenerator<Buffer, void, undefined> {
  const { chunkSize, window } = options;
  const end = options.end ?? Number.POSITIVE_INFINITY;
  let scheduleUpTo = Math.min(end, Math.max(options.sizeHint, (options.start ?? 0) + 1));
  let next = options.start ?? 0;
  const slots: Slot[] = [];
  try {
    for (;;) {
      while (slots.length < window && next < scheduleUpTo) {
        const requested = Math.min(chunkSize, end - next);
        const result = readFully(nfs, handle, next, requested);
        // Awaited in order below; this only keeps a failure that is never reached from being unhandled.
        result.catch(() => undefined);
        slots.push({ requested, result });
        next += requested;
      }
      const slot = slots.shift();
      if (!slot) return;
      const { data, eof } = await slot.result;
      if (data.length > 0) yield data;
      if (eof || data.length < slot.requested) return;
      // The file is longer than it was at open: keep reading a window past what has been queued.
      if (slots.length === 0 && next >= scheduleUpTo && next < end) scheduleUpTo = Math.min(end, next + chunkSize * window);
    }
  } finally {
    slots.length = 0;
  }
}

/** One chunk, asking again for the rest when the server returns fewer bytes without reaching end of file. */
async function readFully(nfs: Pick<Nfs3, 'read'>, handle: Buffer, offset: number, count: number): Promise<{ data: Buffer; eof: boolean }> {
  const first = await nfs.read(handle, offset, count);
  if (first.eof || first.data.length >= count || first.data.length === 0) return { data: first.data, eof: first.eof || first.data.length === 0 };
  const parts = [first.data];
  let got = first.data.length;
  let eof = false;
  while (got < count && !eof) {
    const more = await nfs.read(handle, offset + got, count - got);
    if (more.data.length === 0) {
      eof = true;
      break;
    }
    parts.push(more.data);
    got += more.data.length;
    eof = more.eof;
  }
  return { data: Buffer.concat(parts, got), eof };
}
