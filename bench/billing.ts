// DynamoDB's billing rules, as the capacity meter (bench/meter.ts) applies them: item sizes, write
// and read units, index writes, and document-client values in wire form.
//
// Rules (Amazon DynamoDB Developer Guide, "DynamoDB item sizes and formats" and "Read and write
// operations"):
//  - item size = Σ over attributes of (UTF-8 bytes of the name + size of the value):
//    S = UTF-8 bytes; N = ⌈significant digits / 2⌉ + 1 (leading/trailing zeros trimmed);
//    B = raw bytes; BOOL / NULL = 1; SS / NS / BS = Σ element sizes;
//    L / M = 3 + Σ (1 + element size), a map element's size including its key's UTF-8 bytes.
//  - PutItem / UpdateItem: ⌈max(size before, size after) / 1 KB⌉ write units (minimum 1);
//    DeleteItem: ⌈size before / 1 KB⌉ (minimum 1); a write whose condition fails still costs
//    ⌈size of the existing item / 1 KB⌉ (minimum 1); BatchWriteItem: each item on its own;
//    TransactWriteItems: twice each action.
//  - index writes (GSI/LSI): an item entering or leaving an index costs one index write, an index
//    key change two (delete + put), a change of projected attributes only one; each rounded up to
//    1 KB of the index entry (table keys + index keys + projected attributes).
//  - reads: ⌈size / 4 KB⌉ per item for GetItem / BatchGetItem (a missing item still costs the
//    minimum), ⌈Σ sizes / 4 KB⌉ per Query / Scan page; half for eventually consistent reads, twice
//    in transactions.

/** A DynamoDB attribute value in wire form (`{ S: 'x' }`, `{ N: '1' }`, `{ M: {…} }`, …). */
export type AttributeValue = Record<string, any>;
export type AttrMap = Record<string, AttributeValue>;

export const utf8 = new TextEncoder();
export const bytes = (text: string) => utf8.encode(text).length;
/** A set element's identity (binary elements by their base64 text). */
export const setKey = (x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('base64') : String(x));

// ---------------------------------------------------------------------------------------------
// Sizes

/** Significant digits of a DynamoDB number string (sign, point, exponent and outer zeros trimmed). */
export function significantDigits(n: string): number {
  const mantissa = n.trim().replace(/^[+-]/, '').split(/[eE]/)[0];
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return digits.length;
}

export function numberSize(n: string): number {
  return Math.ceil(significantDigits(n) / 2) + 1;
}

export function binaryLength(b: unknown): number {
  if (b instanceof Uint8Array) return b.byteLength;
  if (typeof b === 'string') return Buffer.from(b, 'base64').byteLength; // wire form
  throw new TypeError('binary attribute value is neither bytes nor base64');
}

/** Size of a value (without its attribute name). */
export function valueSize(v: AttributeValue): number {
  const a = v as Record<string, unknown>;
  if (a.S !== undefined) return bytes(a.S as string);
  if (a.N !== undefined) return numberSize(a.N as string);
  if (a.B !== undefined) return binaryLength(a.B);
  if (a.BOOL !== undefined || a.NULL !== undefined) return 1;
  if (a.SS !== undefined) return (a.SS as string[]).reduce((s, x) => s + bytes(x), 0);
  if (a.NS !== undefined) return (a.NS as string[]).reduce((s, x) => s + numberSize(x), 0);
  if (a.BS !== undefined) return (a.BS as unknown[]).reduce((s: number, x) => s + binaryLength(x), 0);
  if (a.L !== undefined) return 3 + (a.L as AttributeValue[]).reduce((s, x) => s + 1 + valueSize(x), 0);
  if (a.M !== undefined) return 3 + Object.entries(a.M as AttrMap).reduce((s, [k, x]) => s + 1 + bytes(k) + valueSize(x), 0);
  throw new TypeError(`unknown attribute value ${JSON.stringify(Object.keys(a))}`);
}

export function attributeSize(name: string, v: AttributeValue): number {
  return bytes(name) + valueSize(v);
}

export function itemSize(item: AttrMap | undefined): number {
  if (!item) return 0;
  let size = 0;
  for (const [name, v] of Object.entries(item)) if (v !== undefined) size += attributeSize(name, v);
  return size;
}

export const KB = 1024;
/** Write units of one item write of `size` bytes (minimum 1). */
export const writeUnitsFor = (size: number) => Math.max(1, Math.ceil(size / KB));
/** Read units of reading `size` bytes at once (minimum one 4 KB unit). */
export const readUnitsFor = (size: number, consistent: boolean) => Math.max(1, Math.ceil(size / (4 * KB))) * (consistent ? 1 : 0.5);

// ---------------------------------------------------------------------------------------------
// Document-client values (outputs of DynamoDBDocumentClient are unmarshalled)

export function fromDocument(value: unknown): AttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number' || typeof value === 'bigint') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value instanceof Uint8Array) return { B: value };
  if (value instanceof Set) {
    const first = value.values().next().value;
    if (typeof first === 'string') return { SS: [...value] as string[] };
    if (first instanceof Uint8Array) return { BS: [...value] as Uint8Array[] };
    return { NS: [...value].map((x) => String((x as { value?: string }).value ?? x)) };
  }
  if (Array.isArray(value)) return { L: value.map(fromDocument) };
  if (
    typeof value === 'object' &&
    'value' in value &&
    Object.keys(value).length === 1 &&
    typeof (value as { value: unknown }).value === 'string'
  ) {
    return { N: (value as { value: string }).value }; // NumberValue
  }
  const m: AttrMap = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined) m[k] = fromDocument(v);
  return { M: m };
}

export const itemFromDocument = (item: Record<string, unknown>): AttrMap => (fromDocument(item) as { M: AttrMap }).M;

export interface IndexInfo {
  name: string;
  keys: string[];
  projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  include: string[];
}
export interface TableInfo {
  keys: string[];
  indexes: IndexInfo[];
}

export function keyString(info: TableInfo, item: AttrMap): string {
  return info.keys
    .map((k) => {
      const v = item[k] as Record<string, unknown> | undefined;
      if (!v) throw new Error(`item lacks key attribute ${k}`);
      if (v.S !== undefined) return `S${v.S}`;
      if (v.N !== undefined) return `N${v.N}`;
      if (v.B !== undefined) return `B${setKey(v.B)}`;
      throw new Error(`key attribute ${k} is not S, N or B`);
    })
    .join('\u0001');
}

export function pick(item: AttrMap, names: Iterable<string>): AttrMap {
  const out: AttrMap = {};
  for (const n of names) if (item[n] !== undefined) out[n] = item[n];
  return out;
}

export const sameValue = (a: AttrMap, b: AttrMap) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
export function canonical(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** Index write units of one item write (before → after), by the rules in the header. */
export function indexWriteUnits(info: TableInfo, before: AttrMap | undefined, after: AttrMap | undefined): number {
  let units = 0;
  for (const index of info.indexes) {
    const entry = (item: AttrMap | undefined) => {
      if (!item || !index.keys.every((k) => item[k] !== undefined)) return undefined;
      if (index.projection === 'ALL') return item;
      return pick(item, [...info.keys, ...index.keys, ...(index.projection === 'INCLUDE' ? index.include : [])]);
    };
    const b = entry(before);
    const a = entry(after);
    if (!b && !a) continue;
    if (!b) units += writeUnitsFor(itemSize(a));
    else if (!a) units += writeUnitsFor(itemSize(b));
    else if (!sameValue(pick(b, index.keys), pick(a, index.keys))) units += writeUnitsFor(itemSize(b)) + writeUnitsFor(itemSize(a));
    else if (!sameValue(b, a)) units += writeUnitsFor(Math.max(itemSize(b), itemSize(a)));
  }
  return units;
}
