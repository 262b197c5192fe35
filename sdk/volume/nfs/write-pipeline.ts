import { NfsClientError } from './errors';
import type { Nfs3 } from './nfs3';
import { StableHow } from './nfs3-types';

/**
 * The WRITEs and COMMITs of one file, with a window of WRITEs outstanding. WRITEs answered
 * UNSTABLE are kept until a COMMIT covers them; a chunk whose write verifier differs from the
 * COMMIT's (the server restarted and may have lost it) is written again with FILE_SYNC. The
 * first failure is kept and reported to the writer's next call, because the call that sent a
 * WRITE has long returned by the time its answer comes.
 *
 * Order matters once a file's bytes are written more than once (the FUSE driver takes writes
 * at any offset): a server may apply two WRITEs in flight at once in either order, so a WRITE
 * waits for any outstanding one it overlaps; and a COMMIT is a barrier (no WRITE is on the
 * wire while it and its rewrites run, and the rewrites go in the order the WRITEs were sent),
 * so that a rewrite of older data never lands after newer data for the same bytes.
 *
 * Callers stage bytes into chunks their own way: the client's sequential writer
 * (write-window.ts) and the NFS driver's write-behind for FUSE, which takes writes at any offset.
 */

export interface WritePipelineOptions {
  /** WRITEs outstanding at once. */
  window: number;
  /** COMMIT once this much answered UNSTABLE data waits, bounding what is kept for a rewrite. */
  commitEveryBytes: number;
}

interface Uncommitted {
  /** The order the WRITE was sent in, which its rewrite keeps. */
  sent: number;
  offset: number;
  data: Buffer;
  verifier: Buffer;
}

/** The bytes an outstanding WRITE covers: [offset, end). */
interface Span {
  offset: number;
  end: number;
}

export class WritePipeline {
  private readonly inFlight = new Map<Promise<void>, Span>();
  private sentCount = 0;
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
   * Waits for room in the window and for any outstanding WRITE over the same bytes, then sends
   * `data` at `offset`; the caller must not change `data` until a COMMIT has covered it. Once
   * commitEveryBytes of answered data wait, it COMMITs before returning.
   */
  async send(offset: number, data: Buffer, stable: StableHow): Promise<void> {
    const span = { offset, end: offset + data.length };
    for (;;) {
      this.throwIfFailed();
      const blocker = this.inFlight.size >= this.options.window ? Promise.race(this.inFlight.keys()) : this.overlapping(span);
      if (blocker === undefined) break;
      await blocker;
    }
    this.track(this.write(offset, data, stable, this.sentCount++), span);
    if (this.uncommittedBytes >= this.options.commitEveryBytes) await this.commitAll();
  }

  /** Waits for every WRITE on the wire. Failures stay kept for throwIfFailed or takeFailure. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight.keys());
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

  private overlapping(span: Span): Promise<void> | undefined {
    for (const [operation, other] of this.inFlight) if (other.offset < span.end && span.offset < other.end) return operation;
    return undefined;
  }

  private track(operation: Promise<void>, span: Span): void {
    const tracked: Promise<void> = operation
      .catch((error: unknown) => {
        this.failure ??= error instanceof Error ? error : new NfsClientError(String(error));
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.set(tracked, span);
  }

  /**
   * Writes one chunk, sending the remainder again when the server takes fewer bytes than given.
   * `sent` is its place in the order of sending; a rewrite after a restart passes undefined.
   */
  private async write(offset: number, data: Buffer, stable: StableHow, sent: number | undefined): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const part = done === 0 ? data : data.subarray(done);
      const result = await this.nfs.write(this.handle, offset + done, part, stable);
      if (result.count === 0 || result.count > part.length) throw new NfsClientError(`WRITE at ${offset + done}: the server accepted ${result.count} of ${part.length} bytes`);
      if (result.committed === StableHow.UNSTABLE) {
        this.uncommitted.push({ sent: sent ?? 0, offset: offset + done, data: part.subarray(0, result.count), verifier: result.verifier });
        this.uncommittedBytes += result.count;
      }
      done += result.count;
      if (sent !== undefined) this.bytesAccepted += result.count;
    }
  }

  /**
   * COMMITs the WRITEs answered UNSTABLE so far (a COMMIT covers every WRITE answered before it)
   * and rewrites durably, in the order they were first sent, whatever a restarted server may
   * have lost. Callers have drained the window first.
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
    // Answers come back in any order; Array.prototype.sort is stable, so the parts of one short-answered WRITE keep theirs.
    const lost = pending.filter((w) => !w.verifier.equals(verifier)).sort((a, b) => a.sent - b.sent);
    for (const write of lost) await this.write(write.offset, write.data, StableHow.FILE_SYNC, undefined);
  }
}
