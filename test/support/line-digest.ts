/** FNV-1a (32 bits) of a line: summed over lines, an order-independent digest of a set of lines. */
export function lineDigest(line: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < line.length; i++) h = Math.imul(h ^ line.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
