import { XdrError } from './errors';

/**
 * XDR (RFC 4506): big-endian 4-byte units, variable-length data prefixed with its length and
 * padded with zeros to a multiple of four. 64-bit integers (hyper) are bigint; a caller that
 * needs a JavaScript number asks for it and gets an error rather than a rounded value.
 */

const UINT32_MAX = 0xffff_ffff;
const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
/** Opaque data at least this long is queued by reference instead of copied (e.g. a WRITE's payload). */
const BY_REFERENCE_BYTES = 2048;
const ZEROS = Buffer.alloc(4);

export function xdrPadding(length: number): number {
  return (4 - (length & 3)) & 3;
}

/** Builds an XDR byte sequence; large opaque values are kept by reference and never copied. */
export class XdrWriter {
  private readonly done: Buffer[] = [];
  private doneBytes = 0;
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.doneBytes + this.pos;
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  uint32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) throw new XdrError(`not an unsigned 32-bit integer: ${value}`);
    this.room(4);
    this.buf.writeUInt32BE(value, this.pos);
    this.pos += 4;
    return this;
  }

  int32(value: number): this {
    if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) throw new XdrError(`not a signed 32-bit integer: ${value}`);
    this.room(4);
    this.buf.writeInt32BE(value, this.pos);
    this.pos += 4;
    return this;
  }

  /** An enum is a signed int on the wire. */
  enum(value: number): this {
    return this.int32(value);
  }

  bool(value: boolean): this {
    return this.uint32(value ? 1 : 0);
  }

  /** unsigned hyper */
  uint64(value: bigint | number): this {
    const big = typeof value === 'bigint' ? value : safeIntegerToBigInt(value);
    if (big < 0n || big > UINT64_MAX) throw new XdrError(`not an unsigned 64-bit integer: ${value}`);
    this.room(8);
    this.buf.writeBigUInt64BE(big, this.pos);
    this.pos += 8;
    return this;
  }

  /** hyper */
  int64(value: bigint | number): this {
    const big = typeof value === 'bigint' ? value : safeIntegerToBigInt(value);
    if (big < INT64_MIN || big > INT64_MAX) throw new XdrError(`not a signed 64-bit integer: ${value}`);
    this.room(8);
    this.buf.writeBigInt64BE(big, this.pos);
    this.pos += 8;
    return this;
  }

  /** opaque[n]: exactly `length` bytes, padded. */
  fixedOpaque(data: Uint8Array, length: number): this {
    if (data.length !== length) throw new XdrError(`fixed-length opaque needs ${length} bytes, got ${data.length}`);
    return this.bytes(data);
  }

  /** opaque<max>: a length, the bytes, padding. */
  opaque(data: Uint8Array, maxLength = UINT32_MAX): this {
    if (data.length > maxLength) throw new XdrError(`opaque of ${data.length} bytes exceeds its bound of ${maxLength}`);
    this.uint32(data.length);
    return this.bytes(data);
  }

  /** string<max>, as UTF-8; the bound counts bytes. */
  string(value: string, maxBytes = UINT32_MAX): this {
    const data = Buffer.from(value, 'utf8');
    if (data.length > maxBytes) throw new XdrError(`string of ${data.length} bytes exceeds its bound of ${maxBytes}`);
    this.uint32(data.length);
    return this.bytes(data);
  }

  /** Optional data (`*T`): a bool, then the value when present. */
  optional<T>(value: T | undefined, write: (writer: this, value: T) => void): this {
    this.bool(value !== undefined);
    if (value !== undefined) write(this, value);
    return this;
  }

  /** A discriminated union: the discriminant, then the arm's own encoding. */
  union(discriminant: number, writeArm?: (writer: this) => void): this {
    this.int32(discriminant);
    writeArm?.(this);
    return this;
  }

  /** T<max>: a count, then each element. */
  array<T>(items: readonly T[], write: (writer: this, item: T) => void, maxLength = UINT32_MAX): this {
    if (items.length > maxLength) throw new XdrError(`array of ${items.length} elements exceeds its bound of ${maxLength}`);
    this.uint32(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  private bytes(data: Uint8Array): this {
    const padding = xdrPadding(data.length);
    if (data.length >= BY_REFERENCE_BYTES) {
      this.flush();
      const view = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
      this.done.push(view);
      this.doneBytes += view.length;
    } else {
      this.room(data.length);
      this.buf.set(data, this.pos);
      this.pos += data.length;
    }
    if (padding > 0) {
      this.room(padding);
      ZEROS.copy(this.buf, this.pos, 0, padding);
      this.pos += padding;
    }
    return this;
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.done.push(this.buf.subarray(0, this.pos));
    this.doneBytes += this.pos;
    this.buf = Buffer.allocUnsafe(Math.max(64, this.buf.length - this.pos));
    this.pos = 0;
  }

  /** The encoded bytes as a list of buffers, in order, for a gathered socket write. */
  toBuffers(): Buffer[] {
    this.flush();
    return [...this.done];
  }

  toBuffer(): Buffer {
    const parts = this.toBuffers();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.doneBytes);
  }
}

function safeIntegerToBigInt(value: number): bigint {
  if (!Number.isSafeInteger(value)) throw new XdrError(`not a safe integer: ${value}`);
  return BigInt(value);
}

/** Reads XDR from one buffer; every read checks the bytes are there. Opaque values are views, not copies. */
export class XdrReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    offset = 0,
  ) {
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(bytes: number, what: string): void {
    if (this.buf.length - this.pos < bytes) {
      throw new XdrError(`truncated XDR: ${what} needs ${bytes} bytes at offset ${this.pos}, ${this.buf.length - this.pos} left`);
    }
  }

  uint32(): number {
    this.need(4, 'unsigned int');
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  int32(): number {
    this.need(4, 'int');
    const value = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  enum(): number {
    return this.int32();
  }

  bool(): boolean {
    const value = this.uint32();
    if (value > 1) throw new XdrError(`a bool must be 0 or 1, got ${value}`);
    return value === 1;
  }

  uint64(): bigint {
    this.need(8, 'unsigned hyper');
    const value = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return value;
  }

  int64(): bigint {
    this.need(8, 'hyper');
    const value = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return value;
  }

  /** An unsigned hyper that must fit a JavaScript number exactly (sizes, offsets). */
  uint64Number(): number {
    const value = this.uint64();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new XdrError(`unsigned hyper ${value} does not fit a safe integer`);
    return Number(value);
  }

  fixedOpaque(length: number): Buffer {
    const padded = length + xdrPadding(length);
    this.need(padded, `opaque[${length}]`);
    const data = this.buf.subarray(this.pos, this.pos + length);
    this.pos += padded;
    return data;
  }

  opaque(maxLength = UINT32_MAX): Buffer {
    const length = this.uint32();
    if (length > maxLength) throw new XdrError(`opaque length ${length} exceeds its bound of ${maxLength}`);
    return this.fixedOpaque(length);
  }

  string(maxBytes = UINT32_MAX): string {
    return this.opaque(maxBytes).toString('utf8');
  }

  optional<T>(read: (reader: this) => T): T | undefined {
    return this.bool() ? read(this) : undefined;
  }

  /** A discriminated union; a discriminant with no arm is an error unless `otherwise` handles it. */
  union<T>(arms: Readonly<Record<number, (reader: this) => T>>, otherwise?: (discriminant: number, reader: this) => T): T {
    const discriminant = this.int32();
    const arm = arms[discriminant];
    if (arm) return arm(this);
    if (otherwise) return otherwise(discriminant, this);
    throw new XdrError(`union discriminant ${discriminant} has no arm`);
  }

  array<T>(read: (reader: this) => T, maxLength = UINT32_MAX): T[] {
    const count = this.uint32();
    if (count > maxLength) throw new XdrError(`array length ${count} exceeds its bound of ${maxLength}`);
    // Every element type used here takes at least 4 bytes, so a larger count is garbage.
    if (count * 4 > this.remaining) throw new XdrError(`array length ${count} cannot fit the ${this.remaining} bytes left`);
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(read(this));
    return items;
  }

  /** The decoder must have used every byte; trailing bytes mean the two sides disagree on the layout. */
  end(): void {
    if (this.pos !== this.buf.length) throw new XdrError(`${this.buf.length - this.pos} unread bytes after the XDR value`);
  }
}
