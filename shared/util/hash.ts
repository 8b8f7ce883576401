// A fast, well-mixed 53-bit string hash (cyrb53). Used for compact eventId rings and
// deterministic ids; it is not a security primitive.
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** 48 bits of hash53: six bytes per id in a member's ring of recent eventIds. */
export function hash48(text: string): number {
  return hash53(text) % 2 ** 48;
}

export function hashHex(text: string): string {
  return hash53(text).toString(16).padStart(14, '0');
}
