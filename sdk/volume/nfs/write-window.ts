import { NfsClientError } from './errors';
import type { Nfs3 } from './nfs3';
import { StableHow } from './nfs3-types';

/**
 * Sequential writing with a window of WRITEs outstanding. Data is cut into chunks of the
 * server's preferred size. With 'unstable', WRITEs ask for UNSTABLE and a COMMIT makes them
 * durable; the data is kept until then, and any chunk whose write verifier differs from the
 * COMMIT's (the server restarted and may have lost it) is written again with FILE_SYNC. With
 * 'file_sync', every WRITE is durable when answered.
 */

export type WriteStability = 'unstable' | 'file_sync';

export interface WriteWindowOptions {
  /** Offset of the first byte. Default 0. */
  offset?: number;
  /** Bytes per WRITE (FSINFO's wtpref is the server's preference). */
  chunkSize: number;
  /** WRITEs outstanding at once. */
  window: number;
  stable: WriteStability;
  /** With 'unstable', COMMIT once this much answered data waits, bounding what is kept in memory. Default 32 MiB. */
  commitEveryBytes?: number;
}

interface Uncommitted {
  offset: number;
  data: Buffer;
  verifier: Buffer;
}

export class WriteWindow {
  private nextOffset: number;
  private readonly startOffset: number;
  private staged: Buffer[] = [];
  private stagedBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private uncommitted: Uncommitted[] = [];
  private uncommittedBytes = 0;
  private failure: Error | undefined;
  private readonly commitEveryBytes: number;
  /** Bytes the server has accepted so far. */
  bytesWritten = 0;

  constructor(
    private readonly nfs: Pick<Nfs3, 'write' | 'commit'>,
    private readonly handle: Buffer,
    private readonly options: WriteWindowOptions,
  ) {
    this.startOffset = options.offset ?? 0;
    this.nextOffset = this.startOffset;
    this.commitEveryBytes = options.commitEveryBytes ?? 32 * 1024 * 1024;
  }

  /** Queues `data`; resolves once the window has room for more. The caller must not change `data` afterwards. */
  async write(data: Buffer): Promise<void> {
    this.throwIfFailed();
    let rest = data;
    while (rest.length > 0) {
      const wanted = this.options.chunkSize - this.stagedBytes;
      const piece = rest.length <= wanted ? rest : rest.subarray(0, wanted);
      rest = rest.subarray(piece.length);
      this.staged.push(piece);
      this.stagedBytes += piece.length;
      if (this.stagedBytes === this.options.chunkSize) await this.sendStaged();
    }
  }

  /** Sends what is staged, waits for every WRITE, and COMMITs. */
  async finish(): Promise<void> {
    this.throwIfFailed();
    if (this.stagedBytes > 0) await this.sendStaged();
    await this.drain();
    this.throwIfFailed();
    if (this.uncommitted.length > 0) await this.commit();
  }

  private async sendStaged(): Promise<void> {
    const data = this.staged.length === 1 ? this.staged[0]! : Buffer.concat(this.staged, this.stagedBytes);
    this.staged = [];
    this.stagedBytes = 0;
    const offset = this.nextOffset;
    this.nextOffset += data.length;
    while (this.inFlight.size >= this.options.window) await Promise.race(this.inFlight);
    this.throwIfFailed();
    this.track(this.send(offset, data, this.options.stable === 'file_sync' ? StableHow.FILE_SYNC : StableHow.UNSTABLE));
    // COMMIT what has been answered so far while later WRITEs keep flowing; it occupies a
    // place in the window like a WRITE.
    if (this.uncommittedBytes >= this.commitEveryBytes) this.track(this.commit());
  }

  private track(operation: Promise<void>): void {
    const tracked: Promise<void> = operation
      .catch((error: unknown) => {
        this.failure ??= error instanceof Error ? error : new NfsClientError(String(error));
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Writes one chunk, sending the remainder again when the server takes fewer bytes than given. */
  private async send(offset: number, data: Buffer, stable: StableHow, rewrite = false): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const part = done === 0 ? data : data.subarray(done);
      const result = await this.nfs.write(this.handle, offset + done, part, stable);
      if (result.count === 0 || result.count > part.length) throw new NfsClientError(`WRITE at ${offset + done}: the server accepted ${result.count} of ${part.length} bytes`);
      if (result.committed === StableHow.UNSTABLE) {
        this.uncommitted.push({ offset: offset + done, data: part.subarray(0, result.count), verifier: result.verifier });
        this.uncommittedBytes += result.count;
      }
      done += result.count;
      if (!rewrite) this.bytesWritten += result.count;
    }
  }

  private async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  /**
   * COMMITs the WRITEs answered UNSTABLE so far (COMMIT covers every WRITE answered before it)
   * and rewrites durably whatever a restarted server may have lost.
   */
  private async commit(): Promise<void> {
    const pending = this.uncommitted;
    if (pending.length === 0) return;
    this.uncommitted = [];
    this.uncommittedBytes = 0;
    const from = pending.reduce((low, w) => Math.min(low, w.offset), Number.POSITIVE_INFINITY);
    const to = pending.reduce((high, w) => Math.max(high, w.offset + w.data.length), 0);
    // COMMIT's count is 32 bits; 0 means "to the end of the file".
    const count = to - from > 0xffff_ffff ? 0 : to - from;
    const { verifier } = await this.nfs.commit(this.handle, from, count);
    const lost = pending.filter((w) => !w.verifier.equals(verifier));
    for (const write of lost) await this.send(write.offset, write.data, StableHow.FILE_SYNC, true);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
