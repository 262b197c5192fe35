import { StableHow, type Nfs3 } from '../../../sdk/volume/nfs';

/**
 * Write-behind for one open file, as a kernel NFS client does it: a write() is answered as soon
 * as its bytes are copied here, consecutive writes are gathered into WRITEs of the server's
 * preferred size with a window of them outstanding (UNSTABLE), and flush (close, fsync) waits
 * for them and COMMITs. A WRITE that failed fails the next write and the flush, so close()
 * reports it. Data a COMMIT's verifier says the server may have lost (it restarted) is written
 * again with FILE_SYNC.
 */

export interface WriteBehindOptions {
  /** Bytes per WRITE. */
  chunkSize: number;
  /** WRITEs outstanding at once. */
  window: number;
  /** COMMIT once this much answered data waits, bounding what is kept for a rewrite. */
  commitEveryBytes: number;
}

interface Uncommitted {
  offset: number;
  data: Buffer;
  verifier: Buffer;
}

export class WriteBehind {
  private staged: Buffer | undefined;
  private stagedOffset = 0;
  private stagedLength = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private uncommitted: Uncommitted[] = [];
  private uncommittedBytes = 0;
  private failure: Error | undefined;
  /** One past the last byte written through this file, for the size stat reports meanwhile. */
  dirtyEnd = 0;

  constructor(
    private readonly nfs: Pick<Nfs3, 'write' | 'commit'>,
    private readonly handle: Buffer,
    private readonly options: WriteBehindOptions,
  ) {}

  /** Whether bytes are staged or on the wire (a read must wait for them). */
  get dirty(): boolean {
    return this.stagedLength > 0 || this.inFlight.size > 0;
  }

  /** Copies `data` (the caller's buffer is reused once this returns) and sends what fills a WRITE. */
  async write(offset: number, data: Buffer): Promise<void> {
    this.throwIfFailed();
    if (this.stagedLength > 0 && offset !== this.stagedOffset + this.stagedLength) await this.sendStaged();
    let done = 0;
    while (done < data.length) {
      if (this.staged === undefined || this.stagedLength === 0) {
        this.staged ??= Buffer.allocUnsafe(this.options.chunkSize);
        this.stagedOffset = offset + done;
      }
      const copied = data.copy(this.staged, this.stagedLength, done);
      this.stagedLength += copied;
      done += copied;
      if (this.stagedLength === this.options.chunkSize) await this.sendStaged();
    }
    this.dirtyEnd = Math.max(this.dirtyEnd, offset + data.length);
  }

  /** Sends what is staged and waits for every WRITE, without a COMMIT: enough for reads to see the data. */
  async settle(): Promise<void> {
    if (this.stagedLength > 0) await this.sendStaged();
    await this.drain();
    this.takeFailure();
  }

  /** Makes everything written so far durable; reports (once) a WRITE that failed since the last flush. */
  async flush(): Promise<void> {
    await this.settle();
    await this.commit();
  }

  private async sendStaged(): Promise<void> {
    const data = this.staged!.subarray(0, this.stagedLength);
    const offset = this.stagedOffset;
    // The next chunk gets a fresh buffer: this one stays referenced until its COMMIT.
    this.staged = undefined;
    this.stagedLength = 0;
    while (this.inFlight.size >= this.options.window) await Promise.race(this.inFlight);
    this.throwIfFailed();
    this.track(this.send(offset, data, StableHow.UNSTABLE));
    if (this.uncommittedBytes >= this.options.commitEveryBytes) {
      await this.drain();
      this.throwIfFailed();
      await this.commit();
    }
  }

  private track(operation: Promise<void>): void {
    const tracked: Promise<void> = operation
      .catch((error: unknown) => {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async send(offset: number, data: Buffer, stable: StableHow): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const part = done === 0 ? data : data.subarray(done);
      const result = await this.nfs.write(this.handle, offset + done, part, stable);
      if (result.count === 0 || result.count > part.length) throw new Error(`WRITE at ${offset + done}: the server accepted ${result.count} of ${part.length} bytes`);
      if (result.committed === StableHow.UNSTABLE) {
        this.uncommitted.push({ offset: offset + done, data: part.subarray(0, result.count), verifier: result.verifier });
        this.uncommittedBytes += result.count;
      }
      done += result.count;
    }
  }

  private async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  private async commit(): Promise<void> {
    const pending = this.uncommitted;
    if (pending.length === 0) return;
    this.uncommitted = [];
    this.uncommittedBytes = 0;
    const { verifier } = await this.nfs.commit(this.handle, 0, 0);
    for (const write of pending) {
      if (!write.verifier.equals(verifier)) await this.send(write.offset, write.data, StableHow.FILE_SYNC);
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private takeFailure(): void {
    const failure = this.failure;
    if (failure === undefined) return;
    this.failure = undefined;
    throw failure;
  }
}
