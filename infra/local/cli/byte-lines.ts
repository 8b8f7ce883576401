// Lines of a byte stream, as bytes: `npm run send` sends each exactly as it is in the file.
const NL = 0x0a;
const CR = 0x0d;

/** Splits a byte stream into lines (LF, or CRLF: the CR is the terminator's, not the line's). */
export async function* byteLines(input: AsyncIterable<Buffer>): AsyncGenerator<Uint8Array> {
  let rest: Buffer = Buffer.alloc(0);
  const line = (bytes: Buffer) => (bytes.length && bytes[bytes.length - 1] === CR ? bytes.subarray(0, bytes.length - 1) : bytes);
  for await (const piece of input) {
    let buf = rest.length ? Buffer.concat([rest, piece]) : piece;
    let at: number;
    while ((at = buf.indexOf(NL)) >= 0) {
      yield new Uint8Array(line(buf.subarray(0, at)));
      buf = buf.subarray(at + 1);
    }
    rest = Buffer.from(buf);
  }
  if (rest.length) yield new Uint8Array(line(rest));
}

/** A line of only spaces and tabs (or nothing) is not a record. */
export function isBlank(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0x20 || b === 0x09 || b === CR);
}
