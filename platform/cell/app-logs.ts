import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { describeError, type CellLogger } from './logger';
import { RingBuffer } from './ring-buffer';
import type { LogLine } from './types';

export type LogListener = (line: LogLine) => void;

/** One app's log: recent lines in memory, every line appended to a JSON-lines file, and live followers. */
export class AppLog {
  private readonly ring: RingBuffer<LogLine>;
  private readonly listeners = new Set<LogListener>();
  private file: WriteStream | undefined;

  constructor(
    private readonly filePath: string,
    capacity: number,
    private readonly logger: CellLogger,
  ) {
    this.ring = new RingBuffer<LogLine>(capacity);
  }

  append(line: LogLine): void {
    this.ring.push(line);
    this.writeToFile(line);
    for (const listener of this.listeners) {
      try {
        listener(line);
      } catch (error) {
        // A broken follower must not stop the app's logging or other followers.
        this.logger.warn({ err: describeError(error), appGuid: line.appGuid }, 'log follower failed');
      }
    }
  }

  recent(): LogLine[] {
    return this.ring.toArray();
  }

  /** Returns the function that ends the subscription. */
  follow(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Closes the file; lines appended later open it again, so a re-desired app keeps one file. */
  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    if (file === undefined) return;
    await new Promise<void>((resolve) => file.end(resolve));
  }

  private writeToFile(line: LogLine): void {
    if (this.file === undefined) {
      const file = createWriteStream(this.filePath, { flags: 'a', mode: 0o600 });
      file.on('error', (error) => {
        // The ring buffer still works; losing the file copy must not crash the cell.
        this.logger.error({ err: describeError(error), file: this.filePath }, 'cannot write app log file');
        if (this.file === file) this.file = undefined;
      });
      this.file = file;
    }
    this.file.write(`${JSON.stringify(line)}\n`);
  }
}

/** All apps' logs. Logs outlive a stop (like `cf logs --recent` after `cf stop`), up to a bounded number of stopped apps. */
export class AppLogStore {
  private readonly logs = new Map<string, AppLog>();
  private readonly retired: string[] = [];

  constructor(
    private readonly directory: string,
    private readonly capacity: number,
    private readonly logger: CellLogger,
    private readonly maxRetiredApps = 100,
  ) {}

  forApp(appGuid: string): AppLog {
    const retiredAt = this.retired.indexOf(appGuid);
    if (retiredAt !== -1) this.retired.splice(retiredAt, 1);
    let log = this.logs.get(appGuid);
    if (log === undefined) {
      log = new AppLog(join(this.directory, `${appGuid}.log`), this.capacity, this.logger);
      this.logs.set(appGuid, log);
    }
    return log;
  }

  find(appGuid: string): AppLog | undefined {
    return this.logs.get(appGuid);
  }

  /** The app is no longer desired: close its file and forget the oldest stopped apps beyond the limit. */
  async retire(appGuid: string): Promise<void> {
    const log = this.logs.get(appGuid);
    if (log === undefined) return;
    if (!this.retired.includes(appGuid)) this.retired.push(appGuid);
    await log.close();
    while (this.retired.length > this.maxRetiredApps) {
      const oldest = this.retired.shift();
      if (oldest !== undefined) this.logs.delete(oldest);
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.logs.values()].map((log) => log.close()));
  }
}
