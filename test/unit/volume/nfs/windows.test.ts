import type { Nfs3, ReadResult, WriteResult } from '../../../../sdk/volume/nfs/nfs3';
import { StableHow } from '../../../../sdk/volume/nfs/nfs3-types';
import { readWindow } from '../../../../sdk/volume/nfs/read-window';
import { WriteWindow } from '../../../../sdk/volume/nfs/write-window';
import { WriteBehind } from '../../../../platform/drivers/nfs/write-behind';

/** An in-memory file behind READ, WRITE and COMMIT, recording what was asked and how much was outstanding. */
class FakeFile implements Pick<Nfs3, 'read' | 'write' | 'commit'> {
  content: Buffer = Buffer.alloc(0);
  outstanding = 0;
  peak = 0;
  reads: Array<{ offset: number; count: number }> = [];
  writes: Array<{ offset: number; length: number; stable: number }> = [];
  commits = 0;
  verifier = Buffer.from('verif-01');
  /** Writes answered before a restart are lost when the verifier changes. */
  unstableSinceCommit: Array<{ offset: number; data: Buffer }> = [];
  maxReadReply = Number.POSITIVE_INFINITY;
  maxWriteAccept = Number.POSITIVE_INFINITY;
  answerUnstableAs: number = StableHow.UNSTABLE;

  private async turn<T>(work: () => T): Promise<T> {
    this.outstanding += 1;
    this.peak = Math.max(this.peak, this.outstanding);
    await new Promise((resolve) => setImmediate(resolve));
    this.outstanding -= 1;
    return work();
  }

  read(_handle: Buffer, offset: number, count: number): Promise<ReadResult> {
    this.reads.push({ offset, count });
    return this.turn(() => {
      const data = this.content.subarray(offset, offset + Math.min(count, this.maxReadReply));
      return { data, eof: offset + data.length >= this.content.length };
    });
  }

  write(_handle: Buffer, offset: number, data: Buffer, stable: StableHow): Promise<WriteResult> {
    this.writes.push({ offset, length: data.length, stable });
    return this.turn(() => {
      const accepted = data.subarray(0, Math.min(data.length, this.maxWriteAccept));
      const end = offset + accepted.length;
      if (this.content.length < end) this.content = Buffer.concat([this.content, Buffer.alloc(end - this.content.length)]);
      accepted.copy(this.content, offset);
      const committed = stable === StableHow.UNSTABLE ? this.answerUnstableAs : stable;
      if (committed === StableHow.UNSTABLE) this.unstableSinceCommit.push({ offset, data: Buffer.from(accepted) });
      return { count: accepted.length, committed: committed as StableHow, verifier: this.verifier, wcc: {} };
    });
  }

  commit(): Promise<{ verifier: Buffer; wcc: object }> {
    this.commits += 1;
    return this.turn(() => {
      this.unstableSinceCommit = [];
      return { verifier: this.verifier, wcc: {} };
    });
  }

  /** The server restarts: unstable data since the last COMMIT is gone and the verifier changes. */
  restart(): void {
    for (const lost of this.unstableSinceCommit) lost.data.fill(0).copy(this.content, lost.offset);
    this.unstableSinceCommit = [];
    this.verifier = Buffer.from('verif-02');
  }
}

const pattern = (length: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
const HANDLE = Buffer.from('fh');

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

describe('readWindow', () => {
  it('reads a file in order with up to `window` READs outstanding', async () => {
    const file = new FakeFile();
    file.content = pattern(100_000);
    const data = await collect(readWindow(file, HANDLE, { chunkSize: 4096, window: 6, sizeHint: 100_000 }));
    expect(data.equals(file.content)).toBe(true);
    expect(file.peak).toBe(6);
    expect(file.reads.map((r) => r.offset)).toEqual(Array.from({ length: 25 }, (_, i) => i * 4096));
  });

  it('asks again for the rest when the server answers a READ short', async () => {
    const file = new FakeFile();
    file.content = pattern(50_000);
    file.maxReadReply = 1000;
    const data = await collect(readWindow(file, HANDLE, { chunkSize: 4096, window: 3, sizeHint: 50_000 }));
    expect(data.equals(file.content)).toBe(true);
  });

  it('reads a range, and keeps going when the file grew since its size was taken', async () => {
    const file = new FakeFile();
    file.content = pattern(30_000);
    expect((await collect(readWindow(file, HANDLE, { start: 1000, end: 9000, chunkSize: 4096, window: 4, sizeHint: 30_000 }))).equals(file.content.subarray(1000, 9000))).toBe(true);
    const grown = await collect(readWindow(file, HANDLE, { chunkSize: 4096, window: 2, sizeHint: 5000 }));
    expect(grown.equals(file.content)).toBe(true);
  });

  it('reads an empty file as nothing', async () => {
    const file = new FakeFile();
    expect((await collect(readWindow(file, HANDLE, { chunkSize: 4096, window: 4, sizeHint: 0 }))).length).toBe(0);
  });
});

describe('WriteWindow', () => {
  it('cuts data into chunk-sized UNSTABLE WRITEs, at most `window` outstanding, then COMMITs', async () => {
    const file = new FakeFile();
    const data = pattern(70_000);
    const window = new WriteWindow(file, HANDLE, { chunkSize: 8192, window: 3, stable: 'unstable' });
    for (let i = 0; i < data.length; i += 1000) await window.write(data.subarray(i, i + 1000));
    await window.finish();
    expect(file.content.equals(data)).toBe(true);
    expect(file.peak).toBe(3);
    expect(file.writes.every((w) => w.stable === StableHow.UNSTABLE && w.length <= 8192)).toBe(true);
    expect(file.writes).toHaveLength(Math.ceil(70_000 / 8192));
    expect(file.commits).toBe(1);
    expect(window.bytesWritten).toBe(70_000);
  });

  it('writes FILE_SYNC without a COMMIT when asked', async () => {
    const file = new FakeFile();
    const window = new WriteWindow(file, HANDLE, { chunkSize: 4096, window: 2, stable: 'file_sync' });
    await window.write(pattern(10_000));
    await window.finish();
    expect(file.writes.map((w) => w.stable)).toEqual([StableHow.FILE_SYNC, StableHow.FILE_SYNC, StableHow.FILE_SYNC]);
    expect(file.commits).toBe(0);
  });

  it('needs no COMMIT when the server already made UNSTABLE writes durable', async () => {
    const file = new FakeFile();
    file.answerUnstableAs = StableHow.FILE_SYNC;
    const window = new WriteWindow(file, HANDLE, { chunkSize: 4096, window: 2, stable: 'unstable' });
    await window.write(pattern(10_000));
    await window.finish();
    expect(file.commits).toBe(0);
  });

  it('sends the rest again when the server accepts fewer bytes than a WRITE carried', async () => {
    const file = new FakeFile();
    file.maxWriteAccept = 3000;
    const data = pattern(20_000);
    const window = new WriteWindow(file, HANDLE, { chunkSize: 8192, window: 2, stable: 'unstable' });
    await window.write(data);
    await window.finish();
    expect(file.content.equals(data)).toBe(true);
  });

  it('rewrites with FILE_SYNC what a restarted server lost (the COMMIT verifier differs)', async () => {
    const file = new FakeFile();
    const data = pattern(40_000);
    const window = new WriteWindow(file, HANDLE, { chunkSize: 8192, window: 2, stable: 'unstable' });
    await window.write(data);
    // Everything is answered UNSTABLE; then the server restarts before the COMMIT.
    await new Promise((resolve) => setTimeout(resolve, 20));
    file.restart();
    expect(file.content.equals(data)).toBe(false);
    await window.finish();
    expect(file.content.equals(data)).toBe(true);
    expect(file.writes.filter((w) => w.stable === StableHow.FILE_SYNC).length).toBeGreaterThan(0);
  });

  it('COMMITs along the way so no more than commitEveryBytes of unstable data is kept', async () => {
    const file = new FakeFile();
    const window = new WriteWindow(file, HANDLE, { chunkSize: 4096, window: 2, stable: 'unstable', commitEveryBytes: 16_384 });
    await window.write(pattern(65_536));
    await window.finish();
    expect(file.commits).toBeGreaterThanOrEqual(3);
    expect(file.content.equals(pattern(65_536))).toBe(true);
  });

  it('reports a failed WRITE on the next write or on finish', async () => {
    const file = new FakeFile();
    file.write = () => Promise.reject(new Error('disk on fire'));
    const window = new WriteWindow(file, HANDLE, { chunkSize: 1024, window: 2, stable: 'unstable' });
    await window.write(pattern(1024));
    await expect(window.finish()).rejects.toThrow('disk on fire');
  });
});

describe('WriteBehind (the NFS driver\'s writer for FUSE, on the same pipeline)', () => {
  it('copies each write, so the caller may reuse its buffer at once, and gathers consecutive writes into chunk-sized WRITEs', async () => {
    const file = new FakeFile();
    const writer = new WriteBehind(file, HANDLE, { chunkSize: 8192, window: 2, commitEveryBytes: 1 << 20 });
    const data = pattern(30_000);
    const reused = Buffer.alloc(1000);
    for (let i = 0; i < data.length; i += 1000) {
      data.copy(reused, 0, i, i + 1000);
      await writer.write(i, reused);
      reused.fill(0xee);
    }
    expect(writer.dirtyEnd).toBe(30_000);
    await writer.flush();
    expect(file.content.equals(data)).toBe(true);
    expect(file.writes.map((w) => w.length)).toEqual([8192, 8192, 8192, 30_000 - 3 * 8192]);
    expect(file.commits).toBe(1);
    expect(writer.dirty).toBe(false);
  });

  it('sends what is gathered before a write at another offset', async () => {
    const file = new FakeFile();
    const writer = new WriteBehind(file, HANDLE, { chunkSize: 8192, window: 2, commitEveryBytes: 1 << 20 });
    await writer.write(0, pattern(100));
    await writer.write(5000, pattern(100));
    await writer.settle();
    expect(file.writes.map((w) => [w.offset, w.length])).toEqual([[0, 100], [5000, 100]]);
    expect(file.commits).toBe(0);
    await writer.flush();
    expect(file.commits).toBe(1);
  });

  it('rewrites with FILE_SYNC what a restarted server lost', async () => {
    const file = new FakeFile();
    const writer = new WriteBehind(file, HANDLE, { chunkSize: 4096, window: 2, commitEveryBytes: 1 << 20 });
    const data = pattern(20_000);
    await writer.write(0, data);
    await writer.settle();
    file.restart();
    expect(file.content.equals(data)).toBe(false);
    await writer.flush();
    expect(file.content.equals(data)).toBe(true);
  });

  it('reports a failed WRITE on flush once; the next flush succeeds', async () => {
    const file = new FakeFile();
    const writeOk = file.write.bind(file);
    file.write = () => Promise.reject(new Error('disk on fire'));
    const writer = new WriteBehind(file, HANDLE, { chunkSize: 1024, window: 2, commitEveryBytes: 1 << 20 });
    await writer.write(0, pattern(1024));
    await expect(writer.flush()).rejects.toThrow('disk on fire');
    file.write = writeOk;
    await expect(writer.flush()).resolves.toBeUndefined();
  });
  /** A server whose WRITE answers take `delayOf(data, stable)` ms, and whose COMMITs may say it restarted. */
  function slowServer(size: number, delayOf: (text: string, stable: StableHow) => number, restarts: boolean) {
    const content = Buffer.alloc(size, '.');
    let inFlight = 0;
    let peak = 0;
    const server: Pick<Nfs3, 'write' | 'commit'> = {
      async write(_handle, offset, data, stable) {
        const copy = Buffer.from(data);
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, delayOf(copy.toString(), stable)));
        inFlight -= 1;
        copy.copy(content, offset);
        return { count: copy.length, committed: stable, verifier: Buffer.from('verif-01'), wcc: {} };
      },
      async commit() {
        return { verifier: Buffer.from(restarts ? 'verif-02' : 'verif-01'), wcc: {} };
      },
    };
    return { server, content, peak: () => peak };
  }

  it('never has two WRITEs over the same bytes in flight: the later one waits, so it lands last', async () => {
    // The first WRITE is slow; sent together, the second would land first and be overwritten.
    const { server, content, peak } = slowServer(12, (text) => (text === 'AAAA' ? 40 : 1), false);
    const writer = new WriteBehind(server, HANDLE, { chunkSize: 4, window: 4, commitEveryBytes: 1 << 20 });
    await writer.write(0, Buffer.from('AAAA'));
    await writer.write(0, Buffer.from('BBBB'));
    await writer.write(8, Buffer.from('CCCC'));
    await writer.flush();
    expect(content.toString()).toBe('BBBB....CCCC');
    expect(peak()).toBeLessThanOrEqual(2);
  });

  it('after a server restart, rewrites go in the order the WRITEs were sent, so older data never lands over newer', async () => {
    // Every COMMIT says the server restarted, and the rewrite of the older data is slow.
    const { server, content } = slowServer(12, (text, stable) => (stable === StableHow.FILE_SYNC && text === 'AAAA' ? 40 : 1), true);
    const writer = new WriteBehind(server, HANDLE, { chunkSize: 4, window: 4, commitEveryBytes: 4 });
    await writer.write(0, Buffer.from('AAAA'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await writer.write(0, Buffer.from('BBBB'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await writer.write(8, Buffer.from('CCCC'));
    await writer.flush();
    expect(content.toString()).toBe('BBBB....CCCC');
  });
});
