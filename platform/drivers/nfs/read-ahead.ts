import type { Nfs3 } from '../../../sdk/volume/nfs';

/**
 * Read-ahead for one open file. The kernel asks FUSE for at most 128 KiB at a time and waits
 * for each answer, so reading straight through to NFS would leave the connection idle between
 * calls. While reads come in order, this keeps a window of large READs outstanding ahead of
 * them and answers each read from those; a read elsewhere (a seek) drops the window and is
 * sent as it is.
 */

export interface ReadAheadOptions {
  /** Bytes per READ. */
  chunkSize: number;
  /** READs outstanding ahead of the reader. */
  window: number;
}

interface Chunk {
  data: Buffer;
  /** The server said the file ends in this chunk (or returned less than asked). */
  eof: boolean;
}

export class ReadAhead {
  private readonly chunks = new Map<number, Promise<Chunk>>();
  private nextOffset = 0;
  /** The first chunk known to hold the end of the file: nothing is read ahead past it. */
  private lastChunk: number | undefined;
  /** Counts invalidations, so a READ sent before one cannot mark the end of the file after it. */
  private generation = 0;

  constructor(
    private readonly nfs: Pick<Nfs3, 'read'>,
    private readonly handle: Buffer,
    private readonly options: ReadAheadOptions,
  ) {}

  /** Forgets what was read ahead (the file was written through this handle). */
  invalidate(): void {
    this.chunks.clear();
    this.lastChunk = undefined;
    this.generation += 1;
  }

  /**
   * Copies up to `length` bytes from `position` into `target`; returns how many (0 at end of
   * file). The kernel sends a sequential reader's reads from several threads at once, so they
   * may arrive a little out of order: any read within the window of the last one counts as
   * sequential.
   */
  async read(position: number, length: number, target: Buffer): Promise<number> {
    const { chunkSize, window } = this.options;
    if (Math.abs(position - this.nextOffset) > chunkSize * window) {
      this.invalidate();
      const { data } = await readFully(this.nfs, this.handle, position, length);
      data.copy(target, 0, 0, data.length);
      this.nextOffset = position + data.length;
      return data.length;
    }
    const first = Math.floor(position / chunkSize);
    // One chunk behind stays for a read that arrives late.
    for (const index of this.chunks.keys()) if (index < first - 1) this.chunks.delete(index);
    this.schedule(first);
    let copied = 0;
    while (copied < length) {
      const at = position + copied;
      const index = Math.floor(at / chunkSize);
      const chunk = await this.chunk(index);
      const within = at - index * chunkSize;
      if (within < chunk.data.length) copied += chunk.data.copy(target, copied, within, Math.min(chunk.data.length, within + length - copied));
      if (chunk.eof && position + copied - index * chunkSize >= chunk.data.length) {
        // The end of the file as it was when read: ask again next time, it may have grown.
        this.chunks.delete(index);
        this.lastChunk = undefined;
        break;
      }
    }
    this.nextOffset = Math.max(this.nextOffset, position + copied);
    return copied;
  }

  private schedule(first: number): void {
    const last = Math.min(first + this.options.window - 1, this.lastChunk ?? Number.POSITIVE_INFINITY);
    for (let index = first; index <= last; index++) this.chunk(index);
  }

  private chunk(index: number): Promise<Chunk> {
    let chunk = this.chunks.get(index);
    if (chunk === undefined) {
      const { chunkSize } = this.options;
      const generation = this.generation;
      chunk = readFully(this.nfs, this.handle, index * chunkSize, chunkSize).then((read) => {
        if (read.eof && generation === this.generation) this.lastChunk = Math.min(this.lastChunk ?? index, index);
        return read;
      });
      // Awaited when the reader gets there; a failure of a chunk it never reaches is not an error.
      chunk.catch(() => undefined);
      this.chunks.set(index, chunk);
    }
    return chunk;
  }
}

/** One range, asking again for the rest when the server returns fewer bytes before the end of the file. */
async function readFully(nfs: Pick<Nfs3, 'read'>, handle: Buffer, offset: number, count: number): Promise<Chunk> {
  const parts: Buffer[] = [];
  let got = 0;
  for (;;) {
    const result = await nfs.read(handle, offset + got, count - got);
    if (result.data.length > 0) parts.push(result.data);
    got += result.data.length;
    if (result.eof || result.data.length === 0) return { data: join(parts, got), eof: true };
    if (got >= count) return { data: join(parts, got), eof: false };
  }
}

function join(parts: Buffer[], length: number): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
}
