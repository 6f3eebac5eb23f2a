/**
 * apcupsd's NIS framing: every message is a 2-byte big-endian length and that many bytes. A client sends one
 * command (`status`, `events`); the server answers with one record per line and a zero-length record to end.
 */
import { ErrorCode, UpsguardError } from '../../errors.js';

/** apcupsd refuses longer requests; its commands are a few bytes. */
export const MAX_REQUEST = 512;

export function encodeRecord(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  if (body.length > 0xffff) throw new UpsguardError(ErrorCode.NisProtocol, 'NIS record longer than 65535 bytes');
  const out = Buffer.alloc(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  body.copy(out, 2);
  return out;
}

/** A reply: each line as a record (with its newline, as apcupsd sends them) and the empty end record. */
export function encodeReply(lines: readonly string[]): Buffer {
  return Buffer.concat([...lines.map((l) => encodeRecord(`${l}\n`)), Buffer.from([0, 0])]);
}

/** Splits complete requests off a buffer; a length over MAX_REQUEST is a protocol error (the client is dropped). */
export class NisRequestReader {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: string[] = [];
    while (this.buf.length >= 2) {
      const n = this.buf.readUInt16BE(0);
      if (n > MAX_REQUEST)
        throw new UpsguardError(ErrorCode.NisProtocol, `NIS request of ${n} bytes (at most ${MAX_REQUEST})`);
      if (this.buf.length < 2 + n) break;
      out.push(this.buf.subarray(2, 2 + n).toString('latin1'));
      this.buf = this.buf.subarray(2 + n);
    }
    return out;
  }
}
