import { RpcProtocolError } from './errors';

/**
 * Record marking (RFC 5531, section 11): over a byte stream each RPC message is sent as one or
 * more fragments, each headed by four bytes whose top bit marks the record's last fragment and
 * whose other 31 bits give the fragment's length.
 */

const LAST_FRAGMENT = 0x8000_0000;
const MAX_FRAGMENT = 0x7fff_ffff;

/** The header of a record sent as a single fragment of `length` bytes. */
export function recordHeader(length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > MAX_FRAGMENT) throw new RpcProtocolError(`record of ${length} bytes cannot be one fragment`);
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE((LAST_FRAGMENT | length) >>> 0, 0);
  return header;
}

/**
 * Cuts a stream of chunks into whole records. A record that arrived in one chunk is handed on
 * as a view of that chunk; only records spread over chunks or fragments are copied, once.
 */
export class RecordDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Fragments of the record being assembled. */
  private fragments: Buffer[] = [];
  private recordBytes = 0;
  /** The current fragment's header, once read. */
  private fragmentLength = -1;
  private lastFragment = false;

  constructor(
    /** Bigger records are refused: a corrupt header must not make the client buffer gigabytes. */
    private readonly maxRecordBytes: number,
  ) {}

  /** Feeds a chunk; returns the records it completed, in order. Throws RpcProtocolError on an oversized record. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const records: Buffer[] = [];
    for (;;) {
      if (this.fragmentLength < 0) {
        if (this.buffered < 4) break;
        const header = this.take(4).readUInt32BE(0);
        this.lastFragment = (header & LAST_FRAGMENT) !== 0;
        this.fragmentLength = header & MAX_FRAGMENT;
        if (this.recordBytes + this.fragmentLength > this.maxRecordBytes) {
          throw new RpcProtocolError(`record of at least ${this.recordBytes + this.fragmentLength} bytes exceeds the limit of ${this.maxRecordBytes}`);
        }
      }
      if (this.buffered < this.fragmentLength) break;
      const fragment = this.take(this.fragmentLength);
      this.fragmentLength = -1;
      if (!this.lastFragment) {
        this.fragments.push(fragment);
        this.recordBytes += fragment.length;
        continue;
      }
      if (this.fragments.length === 0) {
        records.push(fragment);
      } else {
        this.fragments.push(fragment);
        records.push(Buffer.concat(this.fragments, this.recordBytes + fragment.length));
        this.fragments = [];
        this.recordBytes = 0;
      }
    }
    return records;
  }

  /** Removes `bytes` from the front of the buffered chunks: a view when one chunk holds them, else a copy. */
  private take(bytes: number): Buffer {
    this.buffered -= bytes;
    const first = this.chunks[0];
    if (bytes === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length >= bytes) {
      if (first.length === bytes) this.chunks.shift();
      else this.chunks[0] = first.subarray(bytes);
      return first.subarray(0, bytes);
    }
    const out = Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length, bytes - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return out;
  }
}
