import { RpcProtocolError } from './errors';

/**
 * Record marking (RFC 5531, section 11): over a byte stream each RPC message is sent as one or
 * more fragments, each headed by four bytes whose top bit marks the record's last fragment and
 * whose other 31 bits give the fragment's length.
 */

const LAST_FRAGMENT = 0x8000_0000;
const MAX_FRAGMENT = 0x7fff_ffff;
const EMPTY = new Uint8Array(0);

/** The header of a record sent as a single fragment of `length` bytes. */
export function recordHeader(length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > MAX_FRAGMENT) throw new RpcProtocolError(`record of ${length} bytes cannot be one fragment`);
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE((LAST_FRAGMENT | length) >>> 0, 0);
  return header;
}

/**
 * Cuts a stream of chunks into whole records. Each byte is copied once, straight into the
 * buffer of its fragment, so the caller may reuse a chunk's memory as soon as push returns
 * (the connection reads into one buffer it reuses). Records of several fragments are joined.
 */
export class RecordDecoder {
  private readonly header = Buffer.alloc(4);
  private headerFilled = 0;
  private fragment: Buffer | undefined;
  private fragmentFilled = 0;
  private lastFragment = false;
  /** Earlier fragments of the record being assembled. */
  private fragments: Buffer[] = [];
  private recordBytes = 0;

  constructor(
    /** Bigger records are refused: a corrupt header must not make the client buffer gigabytes. */
    private readonly maxRecordBytes: number,
  ) {}

  /**
   * The unfilled rest of the fragment being received when it is at least `minBytes` long, so
   * the socket can read straight into it (then call `filled`); undefined otherwise.
   */
  directTarget(minBytes: number): Buffer | undefined {
    const fragment = this.fragment;
    if (fragment === undefined || fragment.length - this.fragmentFilled < minBytes) return undefined;
    return fragment.subarray(this.fragmentFilled);
  }

  /** `bytes` were read straight into the buffer `directTarget` gave; returns the records that completed. */
  filled(bytes: number): Buffer[] {
    const fragment = this.fragment;
    if (fragment === undefined || this.fragmentFilled + bytes > fragment.length) throw new RpcProtocolError('bytes were read into no fragment');
    this.fragmentFilled += bytes;
    return this.push(EMPTY);
  }

  /** Feeds a chunk; returns the records it completed, in order. Throws RpcProtocolError on an oversized record. */
  push(chunk: Uint8Array): Buffer[] {
    const records: Buffer[] = [];
    let pos = 0;
    for (;;) {
      if (this.fragment === undefined) {
        if (pos >= chunk.length) break;
        const headerPart = Math.min(4 - this.headerFilled, chunk.length - pos);
        this.header.set(chunk.subarray(pos, pos + headerPart), this.headerFilled);
        this.headerFilled += headerPart;
        pos += headerPart;
        if (this.headerFilled < 4) break;
        this.headerFilled = 0;
        const word = this.header.readUInt32BE(0);
        this.lastFragment = (word & LAST_FRAGMENT) !== 0;
        const length = word & MAX_FRAGMENT;
        if (this.recordBytes + length > this.maxRecordBytes) {
          throw new RpcProtocolError(`record of at least ${this.recordBytes + length} bytes exceeds the limit of ${this.maxRecordBytes}`);
        }
        this.fragment = Buffer.allocUnsafe(length);
        this.fragmentFilled = 0;
      }
      const part = Math.min(this.fragment.length - this.fragmentFilled, chunk.length - pos);
      if (part > 0) {
        this.fragment.set(chunk.subarray(pos, pos + part), this.fragmentFilled);
        this.fragmentFilled += part;
        pos += part;
      }
      if (this.fragmentFilled < this.fragment.length) break;
      const complete = this.fragment;
      this.fragment = undefined;
      if (!this.lastFragment) {
        this.fragments.push(complete);
        this.recordBytes += complete.length;
      } else if (this.fragments.length === 0) {
        records.push(complete);
      } else {
        this.fragments.push(complete);
        records.push(Buffer.concat(this.fragments, this.recordBytes + complete.length));
        this.fragments = [];
        this.recordBytes = 0;
      }
    }
    return records;
  }
}
