import { XdrError } from '../../../../sdk/volume/nfs/errors';
import { XdrReader, XdrWriter, xdrPadding } from '../../../../sdk/volume/nfs/xdr';

const hex = (writer: XdrWriter): string => writer.toBuffer().toString('hex');

describe('XDR writer and reader (RFC 4506)', () => {
  it('pads variable-length data with zeros to a multiple of four', () => {
    expect([0, 1, 2, 3, 4, 5].map(xdrPadding)).toEqual([0, 3, 2, 1, 0, 3]);
    expect(hex(new XdrWriter().opaque(Buffer.from([0xaa])))).toBe('00000001' + 'aa000000');
    expect(hex(new XdrWriter().opaque(Buffer.from([1, 2, 3, 4])))).toBe('00000004' + '01020304');
    expect(hex(new XdrWriter().opaque(Buffer.alloc(0)))).toBe('00000000');
    expect(hex(new XdrWriter().fixedOpaque(Buffer.from([9, 8, 7, 6, 5]), 5))).toBe('0908070605000000');
  });

  it('reads opaque data back as a view and skips its padding', () => {
    const bytes = new XdrWriter().opaque(Buffer.from('abcde')).uint32(7).toBuffer();
    const reader = new XdrReader(bytes);
    const data = reader.opaque();
    expect(data.toString()).toBe('abcde');
    expect(data.buffer).toBe(bytes.buffer);
    expect(reader.uint32()).toBe(7);
    reader.end();
  });

  it('enforces the bound of opaque<max> and the length of opaque[n]', () => {
    expect(() => new XdrWriter().opaque(Buffer.alloc(65), 64)).toThrow(XdrError);
    expect(() => new XdrWriter().fixedOpaque(Buffer.alloc(7), 8)).toThrow(/needs 8 bytes/);
    const encoded = new XdrWriter().opaque(Buffer.alloc(65)).toBuffer();
    expect(() => new XdrReader(encoded).opaque(64)).toThrow(/exceeds its bound of 64/);
  });

  it('encodes strings as UTF-8 with a byte length, and bounds them in bytes', () => {
    expect(hex(new XdrWriter().string('hé'))).toBe('00000003' + '68c3a900');
    expect(new XdrReader(new XdrWriter().string('ünïcødé/名前').toBuffer()).string()).toBe('ünïcødé/名前');
    expect(() => new XdrWriter().string('éé', 3)).toThrow(XdrError);
  });

  it('writes hyper and unsigned hyper big-endian, from bigint or a safe number', () => {
    expect(hex(new XdrWriter().uint64(0x0102030405060708n))).toBe('0102030405060708');
    expect(hex(new XdrWriter().uint64(2 ** 40 + 5))).toBe('0000010000000005');
    expect(hex(new XdrWriter().int64(-2n))).toBe('fffffffffffffffe');
    expect(hex(new XdrWriter().uint64((1n << 64n) - 1n))).toBe('ffffffffffffffff');
    const reader = new XdrReader(new XdrWriter().uint64((1n << 64n) - 1n).int64(-(1n << 63n)).uint64(123).toBuffer());
    expect(reader.uint64()).toBe((1n << 64n) - 1n);
    expect(reader.int64()).toBe(-(1n << 63n));
    expect(reader.uint64Number()).toBe(123);
  });

  it('refuses hyper values out of range and numbers that are not safe integers', () => {
    expect(() => new XdrWriter().uint64(-1n)).toThrow(XdrError);
    expect(() => new XdrWriter().uint64(1n << 64n)).toThrow(XdrError);
    expect(() => new XdrWriter().int64(1n << 63n)).toThrow(XdrError);
    expect(() => new XdrWriter().uint64(2 ** 60)).toThrow(/safe integer/);
    expect(() => new XdrReader(new XdrWriter().uint64(1n << 60n).toBuffer()).uint64Number()).toThrow(/does not fit/);
  });

  it('checks 32-bit integers, enums and bools', () => {
    expect(hex(new XdrWriter().int32(-1).uint32(0xffffffff).enum(2).bool(true).bool(false))).toBe('ffffffff' + 'ffffffff' + '00000002' + '00000001' + '00000000');
    expect(() => new XdrWriter().uint32(2 ** 32)).toThrow(XdrError);
    expect(() => new XdrWriter().uint32(1.5)).toThrow(XdrError);
    expect(() => new XdrWriter().int32(2 ** 31)).toThrow(XdrError);
    expect(() => new XdrReader(Buffer.from('00000002', 'hex')).bool()).toThrow(/0 or 1/);
  });

  it('encodes a discriminated union as its discriminant then the arm, and decodes by arm', () => {
    const bytes = new XdrWriter()
      .union(2, (w) => w.uint32(7).uint32(9))
      .union(0)
      .union(5, (w) => w.string('x'))
      .toBuffer();
    expect(bytes.toString('hex')).toBe('00000002' + '00000007' + '00000009' + '00000000' + '00000005' + '00000001' + '78000000');
    const reader = new XdrReader(bytes);
    const arms = {
      0: () => 'void arm',
      2: (r: XdrReader) => `time ${r.uint32()}.${r.uint32()}`,
    };
    expect(reader.union(arms)).toBe('time 7.9');
    expect(reader.union(arms)).toBe('void arm');
    expect(() => new XdrReader(bytes, 16).union(arms)).toThrow(/discriminant 5 has no arm/);
    expect(new XdrReader(bytes, 16).union(arms, (d, r) => `default ${d} ${r.string()}`)).toBe('default 5 x');
  });

  it('encodes optional data as a bool and the value, and arrays with their count', () => {
    const bytes = new XdrWriter()
      .optional(42, (w, v) => w.uint32(v))
      .optional<number>(undefined, (w, v) => w.uint32(v))
      .array([1, 2, 3], (w, v) => w.uint32(v))
      .toBuffer();
    expect(bytes.toString('hex')).toBe('00000001' + '0000002a' + '00000000' + '00000003' + '00000001' + '00000002' + '00000003');
    const reader = new XdrReader(bytes);
    expect(reader.optional((r) => r.uint32())).toBe(42);
    expect(reader.optional((r) => r.uint32())).toBeUndefined();
    expect(reader.array((r) => r.uint32())).toEqual([1, 2, 3]);
    expect(() => new XdrWriter().array([1, 2, 3], (w, v) => w.uint32(v), 2)).toThrow(XdrError);
    expect(() => new XdrReader(Buffer.from('000f4240', 'hex')).array((r) => r.uint32())).toThrow(/cannot fit/);
  });

  it('reports truncated input instead of reading past the end', () => {
    expect(() => new XdrReader(Buffer.from('000000', 'hex')).uint32()).toThrow(/truncated XDR/);
    expect(() => new XdrReader(Buffer.from('0000000500', 'hex')).opaque()).toThrow(/truncated XDR/);
    expect(() => new XdrReader(Buffer.from('00000001aa', 'hex')).opaque()).toThrow(/needs 4 bytes/);
    expect(() => new XdrReader(Buffer.from('0000000100', 'hex')).end()).toThrow(/unread/);
  });

  it('keeps large opaque values by reference, so a WRITE payload is never copied', () => {
    const payload = Buffer.alloc(100_000, 1);
    const writer = new XdrWriter().uint32(1).opaque(payload).uint32(2);
    const parts = writer.toBuffers();
    expect(parts).toContain(payload);
    expect(writer.length).toBe(4 + 4 + 100_000 + 4);
    const flat = writer.toBuffer();
    const reader = new XdrReader(flat);
    expect(reader.uint32()).toBe(1);
    expect(reader.opaque().equals(payload)).toBe(true);
    expect(reader.uint32()).toBe(2);
  });
});
