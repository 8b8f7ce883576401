// LEB128 varints and zigzag, for the member item's binary attributes (coin-lots-codec.ts,
// member-numbers.ts): small numbers in a byte or two, by arithmetic rather than bit operations
// (which stop at 32 bits), so any safe integer fits.

export const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);
export const unzigzag = (z: number) => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/** Appends the unsigned LEB128 of a non-negative safe integer. */
export function varint(out: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

/** A reader of the varints of `bytes` from `at`, one per call; `what` names the attribute in the error. */
export function varintReader(bytes: Uint8Array, what: string, at = 0): { next(): number; readonly at: number; skip(n: number): void } {
  let position = at;
  return {
    next() {
      let value = 0;
      let scale = 1;
      for (;;) {
        const byte = bytes[position++];
        if (byte === undefined) throw new Error(`${what}: truncated`);
        value += (byte & 0x7f) * scale;
        if (byte < 0x80) return value;
        scale *= 128;
      }
    },
    get at() {
      return position;
    },
    skip(n: number) {
      position += n;
    },
  };
}
