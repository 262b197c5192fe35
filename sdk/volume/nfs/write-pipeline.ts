import { NfsClientError } from './errors';
import type { Nfs3 } from './nfs3';
import { StableHow } from './nfs3-types';

/**
 * The WRITEs and COMMITs of one file, with a window of them outstanding. WRITEs answered
 * UNSTABLE are kept until a COMMIT covers them; a chunk whose write verifier differs from the
 * COMMIT's (the server restarted and may have lost it) is written again with FILE_SYNC. The
 * first failure is kept and reported to the writer's next call, because the call that sent a
 * WRITE has long returned by the time its answer comes.
 *
 * Callers stage bytes into chunks their own way: the client's sequential writer
 * (write-window.ts) and the NFS driver's write-behind for FUSE, which takes writes at any offset.
 */

export interface WritePipelineOptions {
  /** WRITEs (and COMMITs) outstanding at once. */
  window: number;
  /** COMMIT once this much answered UNSTABLE data waits, bounding what is kept for a rewrite. */
  commitEveryBytes: number;
}

interface Uncommitted {
  offset: number;
  data: Buffer;
  verifier: Buffer;
}

export class WritePipeline {
  private readonly inFlight = new Set<Promise<void>>();
  private uncommitted: Uncommitted[] = [];
  private uncommittedBytes = 0;
  private failure: Error | undefined;
  /** Bytes the server has accepted, not counting rewrites after a COMMIT showed a restart. */
  bytesAccepted = 0;

  constructor(
    private readonly nfs: Pick<Nfs3, 'write' | 'commit'>,
    private readonly handle: Buffer,
    private readonly options: WritePipelineOptions,
  ) {}

  /** Whether WRITEs or COMMITs are on the wire. */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /**
   * Waits for room in the window, then sends `data` at `offset`; the caller must not change
   * `data` until a COMMIT has covered it. A COMMIT of what has been answered so far follows,
   * taking a place in the window like a WRITE, once commitEveryBytes wait.
   */
  async send(offset: number, data: Buffer, stable: StableHow): Promise<void> {
    while (this.inFlight.size >= this.options.window) await Promise.race(this.inFlight);
    this.throwIfFailed();
    this.track(this.write(offset, data, stable, false));
    if (this.uncommittedBytes >= this.options.commitEveryBytes) this.track(this.commit());
  }

  /** Waits for everything on the wire. Failures stay kept for throwIfFailed or takeFailure. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  /** Waits for everything on the wire, then COMMITs what is still unstable. */
  async commitAll(): Promise<void> {
    await this.drain();
    this.throwIfFailed();
    await this.commit();
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Throws the kept failure and forgets it, so that it is reported once (a close after a failed flush succeeds). */
  takeFailure(): void {
    const failure = this.failure;
    if (failure === undefined) return;
    this.failure = undefined;
    throw failure;
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
  private async write(offset: number, data: Buffer, stable: StableHow, rewrite: boolean): Promise<void> {
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
      if (!rewrite) this.bytesAccepted += result.count;
    }
  }

  /**
   * COMMITs the WRITEs answered UNSTABLE so far (a COMMIT covers every WRITE answered before it)
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
    for (const write of lost) await this.write(write.offset, write.data, StableHow.FILE_SYNC, true);
  }
}
