import { LineSplitter, MAX_LOG_LINE_LENGTH } from '../../../platform/cell/line-splitter';
import { RingBuffer } from '../../../platform/cell/ring-buffer';

describe('RingBuffer', () => {
  it('keeps the newest items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    [1, 2, 3, 4, 5].forEach((item) => ring.push(item));
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
  });

  it('returns what it has before it is full', () => {
    const ring = new RingBuffer<string>(4);
    ring.push('a');
    expect(ring.toArray()).toEqual(['a']);
  });

  it('refuses a zero capacity', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});

describe('LineSplitter', () => {
  function split(chunks: Buffer[]): string[] {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    chunks.forEach((chunk) => splitter.push(chunk));
    splitter.flush();
    return lines;
  }

  it('joins lines across chunks and keeps a last line without newline', () => {
    expect(split([Buffer.from('one\ntw'), Buffer.from('o\r\nthree')])).toEqual(['one', 'two', 'three']);
  });

  it('does not break a UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('grüße\n');
    expect(split([bytes.subarray(0, 3), bytes.subarray(3)])).toEqual(['grüße']);
  });

  it('cuts lines longer than the limit', () => {
    const lines = split([Buffer.from('x'.repeat(MAX_LOG_LINE_LENGTH * 2 + 5))]);
    expect(lines.map((line) => line.length)).toEqual([MAX_LOG_LINE_LENGTH, MAX_LOG_LINE_LENGTH, 5]);
  });

  it('keeps empty lines', () => {
    expect(split([Buffer.from('a\n\nb\n')])).toEqual(['a', '', 'b']);
  });
});
