// Strings in code-unit order (not the locale's): the order a sorted list of ids is stored and
// named in, the same on every machine.
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
