import { StableHow, WritePipeline, type Nfs3 } from '../../../sdk/volume/nfs';

/**
 * Write-behind for one open file, as a kernel NFS client does it: a write() is answered as soon
 * as its bytes are copied here (FUSE reuses its buffer), consecutive writes are gathered into
 * UNSTABLE WRITEs of the server's preferred size, and a write to another offset sends what is
 * gathered first. The SDK's write pipeline keeps the window of WRITEs, the COMMITs and the
 * rewrites after a server restart. flush (close, fsync) waits for it all and COMMITs; a WRITE
 * that failed fails the next write and the flush, so close() reports it, once.
 */

export interface WriteBehindOptions {
  /** Bytes per WRITE. */
  chunkSize: number;
  /** WRITEs outstanding at once. */
  window: number;
  /** COMMIT once this much answered data waits, bounding what is kept for a rewrite. */
  commitEveryBytes: number;
}

export class WriteBehind {
  private staged: Buffer | undefined;
  private stagedOffset = 0;
  private stagedLength = 0;
  private readonly pipeline: WritePipeline;
  /** One past the last byte written through this file, for the size stat reports meanwhile. */
  dirtyEnd = 0;

  constructor(nfs: Pick<Nfs3, 'write' | 'commit'>, handle: Buffer, private readonly options: WriteBehindOptions) {
    this.pipeline = new WritePipeline(nfs, handle, { window: options.window, commitEveryBytes: options.commitEveryBytes });
  }

  /** Whether bytes are staged or on the wire (a read must wait for them). */
  get dirty(): boolean {
    return this.stagedLength > 0 || this.pipeline.busy;
  }

  /** Copies `data` (the caller's buffer is reused once this returns) and sends what fills a WRITE. */
  async write(offset: number, data: Buffer): Promise<void> {
    this.pipeline.throwIfFailed();
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
    await this.pipeline.drain();
    this.pipeline.takeFailure();
  }

  /** Makes everything written so far durable; reports (once) a WRITE that failed since the last flush. */
  async flush(): Promise<void> {
    await this.settle();
    await this.pipeline.commitAll();
  }

  private async sendStaged(): Promise<void> {
    const data = this.staged!.subarray(0, this.stagedLength);
    const offset = this.stagedOffset;
    // The next chunk gets a fresh buffer: this one stays referenced until its COMMIT.
    this.staged = undefined;
    this.stagedLength = 0;
    await this.pipeline.send(offset, data, StableHow.UNSTABLE);
  }
}
