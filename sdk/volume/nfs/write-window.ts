import type { Nfs3 } from './nfs3';
import { StableHow } from './nfs3-types';
import { WritePipeline } from './write-pipeline';

/**
 * Sequential writing: data is cut into chunks of the server's preferred size and handed to a
 * write pipeline (write-pipeline.ts) that keeps a window of WRITEs outstanding. With
 * 'unstable', a COMMIT at the end (and every commitEveryBytes on the way) makes them durable;
 * with 'file_sync', every WRITE is durable when answered.
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

export class WriteWindow {
  private nextOffset: number;
  private staged: Buffer[] = [];
  private stagedBytes = 0;
  private readonly pipeline: WritePipeline;
  private readonly stable: StableHow;

  constructor(nfs: Pick<Nfs3, 'write' | 'commit'>, handle: Buffer, private readonly options: WriteWindowOptions) {
    this.nextOffset = options.offset ?? 0;
    this.stable = options.stable === 'file_sync' ? StableHow.FILE_SYNC : StableHow.UNSTABLE;
    this.pipeline = new WritePipeline(nfs, handle, { window: options.window, commitEveryBytes: options.commitEveryBytes ?? 32 * 1024 * 1024 });
  }

  /** Bytes the server has accepted so far. */
  get bytesWritten(): number {
    return this.pipeline.bytesAccepted;
  }

  /** Queues `data`; resolves once the window has room for more. The caller must not change `data` afterwards. */
  async write(data: Buffer): Promise<void> {
    this.pipeline.throwIfFailed();
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
    this.pipeline.throwIfFailed();
    if (this.stagedBytes > 0) await this.sendStaged();
    await this.pipeline.commitAll();
  }

  private async sendStaged(): Promise<void> {
    const data = this.staged.length === 1 ? this.staged[0]! : Buffer.concat(this.staged, this.stagedBytes);
    this.staged = [];
    this.stagedBytes = 0;
    const offset = this.nextOffset;
    this.nextOffset += data.length;
    await this.pipeline.send(offset, data, this.stable);
  }
}
