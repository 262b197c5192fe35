import { StringDecoder } from 'node:string_decoder';

/** Longer lines are cut, so one app writing without newlines cannot grow the cell's memory. */
export const MAX_LOG_LINE_LENGTH = 16 * 1024;

/**
 * Turns a byte stream into text lines. Chunks may end anywhere, even inside a UTF-8 character,
 * so the tail is carried over to the next chunk.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLength = MAX_LOG_LINE_LENGTH,
  ) {}

  push(chunk: Buffer): void {
    this.pending += this.decoder.write(chunk);
    let newline = this.pending.indexOf('\n');
    while (newline !== -1) {
      this.emitLine(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf('\n');
    }
    while (this.pending.length > this.maxLength) {
      this.emit(this.pending.slice(0, this.maxLength));
      this.pending = this.pending.slice(this.maxLength);
    }
  }

  /** Emits a last line that had no newline; called when the stream ends. */
  flush(): void {
    this.pending += this.decoder.end();
    if (this.pending.length > 0) this.emitLine(this.pending);
    this.pending = '';
  }

  private emitLine(line: string): void {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.length <= this.maxLength) {
      this.emit(text);
      return;
    }
    for (let start = 0; start < text.length; start += this.maxLength) {
      this.emit(text.slice(start, start + this.maxLength));
    }
  }
}
