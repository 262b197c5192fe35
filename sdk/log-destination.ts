import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Where a broker's log lines go: a file descriptor (stdout by default) or a file, written in
 * batches. A busy broker logs a line per request; one write call per line costs more than
 * making the line, and sonic-boom's buffered mode measures the length of its whole buffer on
 * every line. Here each line is encoded into a 64 KiB buffer at once, and the buffer goes out
 * in one synchronous write when the next line would not fit or 100 ms after its first line.
 * Exiting flushes it; a SIGKILL loses at most that last interval.
 *
 * It never throws at the caller: a log consumer that went away (EPIPE) must not take the
 * broker down, so the lines are dropped and counted instead. A pipe that stays full for a
 * second costs the batch being written, and later batches are tried again.
 *
 * Measured gain (npm run bench:instructions, callgrind, 4,000 requests after 10,000, the WAL
 * checkpoint thread off, against pino.destination({ minLength: 4096, sync: false })): GET
 * /v2/catalog 81,521 and 81,628 instructions per request against 84,706 and 86,978 (4 to 6 %
 * fewer); a provision 272,564 against 277,499 (2 %). It stays because createLogDestination
 * and LogDestination are part of the SDK's API.
 */

export interface LogDestinationOptions {
  /** A file descriptor to write to; 1 (stdout) unless `path` is given. */
  fd?: number;
  /** A file to append to, created when missing. */
  path?: string;
  /** The longest a line waits before it is written (default 100 ms). */
  flushIntervalMs?: number;
  /** The buffer's size: it is written when the next line would not fit (default 64 KiB). */
  bufferBytes?: number;
}

/** Destinations holding unwritten lines, flushed when the process exits. */
const pending = new Set<LogDestination>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const destination of pending) destination.flushSync();
  });
}

/** How long to wait for a non-blocking descriptor (a full pipe) before trying again. */
const RETRY_PAUSE_MS = 1;
const MAX_RETRIES = 1_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

export class LogDestination {
  /** Lines are encoded straight into this buffer, so no string outlives its line. */
  private readonly buffer: Buffer;
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private readonly flushIntervalMs: number;
  private broken = false;
  /** Write calls that could not be completed (the descriptor failed): lines or whole batches. */
  dropped = 0;

  constructor(options: LogDestinationOptions = {}) {
    this.ownsFd = options.path !== undefined;
    this.fd = options.path !== undefined ? openSync(options.path, 'a') : (options.fd ?? 1);
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.buffer = Buffer.allocUnsafe(options.bufferBytes ?? 64 * 1024);
    installExitHook();
  }

  /** The method pino calls with each finished line. */
  write(line: string): boolean {
    if (this.broken) {
      this.dropped++;
      return true;
    }
    // A UTF-16 unit never takes more than 3 bytes: the exact length is needed only near the end.
    if (line.length * 3 > this.buffer.length - this.queued) {
      const bytes = Buffer.byteLength(line);
      if (bytes > this.buffer.length - this.queued) this.flushSync();
      if (bytes > this.buffer.length) {
        this.writeAll(Buffer.from(line, 'utf8'));
        return true;
      }
    }
    this.queued += this.buffer.write(line, this.queued);
    if (this.timer === undefined) {
      pending.add(this);
      this.timer = setTimeout(() => this.flushSync(), this.flushIntervalMs);
      // A quiet broker must still be able to exit.
      this.timer.unref();
    }
    return true;
  }

  /** pino calls this from `logger.flush(cb)`. */
  flush(callback?: (error?: Error) => void): void {
    this.flushSync();
    callback?.();
  }

  flushSync(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    pending.delete(this);
    if (this.queued === 0) return;
    const length = this.queued;
    this.queued = 0;
    this.writeAll(this.buffer.subarray(0, length));
  }

  private writeAll(chunk: Buffer): void {
    if (this.broken) {
      this.dropped++;
      return;
    }
    let offset = 0;
    let retries = 0;
    while (offset < chunk.length) {
      try {
        offset += writeSync(this.fd, chunk, offset);
        retries = 0;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          if (retries++ < MAX_RETRIES) {
            Atomics.wait(pause, 0, 0, RETRY_PAUSE_MS);
            continue;
          }
          // A reader that stays behind for a second costs this batch, not the broker.
          this.dropped++;
          return;
        }
        // EPIPE, EBADF: the reader or the file is gone for good.
        this.broken = true;
        this.dropped++;
        return;
      }
    }
  }

  /** Writes what is queued and closes the file if this destination opened it. */
  end(): void {
    this.flushSync();
    if (this.ownsFd && !this.broken) {
      this.broken = true;
      closeSync(this.fd);
    }
  }
}

export function createLogDestination(options: LogDestinationOptions = {}): LogDestination {
  return new LogDestination(options);
}
