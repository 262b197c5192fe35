import { RpcProtocolError } from '../../../../sdk/volume/nfs/errors';
import { RecordDecoder, recordHeader } from '../../../../sdk/volume/nfs/record-marking';

const fragment = (data: Buffer, last: boolean): Buffer => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(((last ? 0x80000000 : 0) | data.length) >>> 0);
  return Buffer.concat([header, data]);
};

describe('record marking (RFC 5531, section 11)', () => {
  it('marks a single-fragment record as last, with its length in the low 31 bits', () => {
    expect(recordHeader(0).toString('hex')).toBe('80000000');
    expect(recordHeader(0x1234).toString('hex')).toBe('80001234');
    expect(() => recordHeader(2 ** 31)).toThrow(RpcProtocolError);
  });

  it('cuts records out of a stream however it is chunked', () => {
    const records = [Buffer.from('first record'), Buffer.alloc(0), Buffer.from('x'.repeat(300))];
    const stream = Buffer.concat(records.map((r) => fragment(r, true)));
    for (const chunkSize of [1, 3, 4, 7, 64, stream.length]) {
      const decoder = new RecordDecoder(1 << 20);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += chunkSize) out.push(...decoder.push(stream.subarray(i, i + chunkSize)));
      expect(out.map((r) => r.toString())).toEqual(records.map((r) => r.toString()));
    }
  });

  it('joins a record sent as several fragments', () => {
    const stream = Buffer.concat([fragment(Buffer.from('abc'), false), fragment(Buffer.from('def'), false), fragment(Buffer.from('g'), true), fragment(Buffer.from('next'), true)]);
    const decoder = new RecordDecoder(1 << 20);
    expect(decoder.push(stream).map((r) => r.toString())).toEqual(['abcdefg', 'next']);
  });

  it('copies records out, so the chunk buffer can be reused at once', () => {
    const chunk = Buffer.concat([fragment(Buffer.from('payload'), true), fragment(Buffer.from('sec'), true).subarray(0, 6)]);
    const decoder = new RecordDecoder(1 << 20);
    const [record] = decoder.push(chunk);
    chunk.fill(0);
    expect(record!.toString()).toBe('payload');
    expect(decoder.push(Buffer.from('c'))[0]!.toString()).toBe('sec');
  });

  it('lets a large fragment body be read straight into its buffer, and completes the record', () => {
    const body = Buffer.from('x'.repeat(100_000));
    const wire = Buffer.concat([fragment(body, true), fragment(Buffer.from('small'), true)]);
    const decoder = new RecordDecoder(1 << 20);
    expect(decoder.directTarget(1)).toBeUndefined();
    expect(decoder.push(wire.subarray(0, 1004))).toEqual([]);
    const target = decoder.directTarget(64 * 1024)!;
    expect(target.length).toBe(99_000);
    wire.copy(target, 0, 1004, 4 + 100_000);
    const [record] = decoder.filled(99_000);
    expect(record!.equals(body)).toBe(true);
    expect(decoder.directTarget(1)).toBeUndefined();
    expect(decoder.push(wire.subarray(4 + 100_000)).map((r) => r.toString())).toEqual(['small']);
    expect(() => decoder.filled(1)).toThrow(RpcProtocolError);
  });

  it('refuses a record larger than its limit, even across fragments', () => {
    expect(() => new RecordDecoder(100).push(recordHeader(101))).toThrow(/exceeds the limit of 100/);
    const decoder = new RecordDecoder(100);
    decoder.push(fragment(Buffer.alloc(60), false));
    expect(() => decoder.push(fragment(Buffer.alloc(60), true))).toThrow(RpcProtocolError);
  });
});
