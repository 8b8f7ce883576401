// A capacity meter of our own around the SDK client: write and read units by DynamoDB's billing
// rules, independent of what the server reports (DynamoDB Local reports 1 unit per item in a
// transaction where AWS bills 2, and ignores index writes).
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
//
// The before-image of every write comes from the meter's own copy of every item written through
// it (tables must be empty when metering starts); the after-image of an UpdateItem is computed by
// evaluating its update expression on that copy, so no extra request is made and the caller's
// ReturnValues are untouched. `verify()` compares the copies with the stored items afterwards.
import { DescribeTableCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** A DynamoDB attribute value in wire form (`{ S: 'x' }`, `{ N: '1' }`, `{ M: {…} }`, …). */
export type AttributeValue = Record<string, any>;
export type AttrMap = Record<string, AttributeValue>;

const utf8 = new TextEncoder();
const bytes = (text: string) => utf8.encode(text).length;

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

function binaryLength(b: unknown): number {
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

// ---------------------------------------------------------------------------------------------
// Update expressions, evaluated on the meter's copy of the item

type Segment = { name: string } | { index: number };
type Path = Segment[];
type Operand =
  | { kind: 'path'; path: Path }
  | { kind: 'value'; value: AttributeValue }
  | { kind: 'ifNotExists'; path: Path; fallback: Operand }
  | { kind: 'listAppend'; a: Operand; b: Operand }
  | { kind: 'arith'; op: '+' | '-'; a: Operand; b: Operand };
type UpdateAction =
  | { kind: 'SET'; path: Path; value: Operand }
  | { kind: 'REMOVE'; path: Path }
  | { kind: 'ADD' | 'DELETE'; path: Path; value: AttributeValue };

const CLAUSES = new Set(['SET', 'REMOVE', 'ADD', 'DELETE']);

function tokenize(expr: string): string[] {
  const tokens: string[] = [];
  const re = /\s*([#:]?[A-Za-z0-9_]+|[.[\](),=+-])/y;
  let at = 0;
  while (at < expr.length) {
    if (/^\s*$/.test(expr.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(expr);
    if (!m) throw new Error(`update expression: cannot read at ${JSON.stringify(expr.slice(at, at + 20))}`);
    tokens.push(m[1]);
    at = re.lastIndex;
  }
  return tokens;
}

export function parseUpdateExpression(expr: string, names: Record<string, string> = {}, values: AttrMap = {}): UpdateAction[] {
  const t = tokenize(expr);
  let i = 0;
  const peek = () => t[i];
  const take = (expected?: string) => {
    const token = t[i++];
    if (token === undefined || (expected !== undefined && token !== expected))
      throw new Error(`update expression: expected ${expected ?? 'a token'} at ${i - 1} in ${JSON.stringify(expr)}`);
    return token;
  };
  const name = (token: string) => {
    if (token.startsWith('#')) {
      const resolved = names[token];
      if (resolved === undefined) throw new Error(`update expression: ${token} has no ExpressionAttributeNames entry`);
      return resolved;
    }
    return token;
  };
  const value = (token: string) => {
    const v = values[token];
    if (v === undefined) throw new Error(`update expression: ${token} has no ExpressionAttributeValues entry`);
    return v;
  };
  const path = (): Path => {
    const p: Path = [{ name: name(take()) }];
    for (;;) {
      if (peek() === '.') {
        take();
        p.push({ name: name(take()) });
      } else if (peek() === '[') {
        take();
        p.push({ index: Number(take()) });
        take(']');
      } else return p;
    }
  };
  const operand = (): Operand => {
    const token = peek();
    if (token.startsWith(':')) return { kind: 'value', value: value(take()) };
    if (t[i + 1] === '(') {
      const fn = take().toLowerCase();
      take('(');
      if (fn === 'if_not_exists') {
        const p = path();
        take(',');
        const fallback = operand();
        take(')');
        return { kind: 'ifNotExists', path: p, fallback };
      }
      if (fn === 'list_append') {
        const a = operand();
        take(',');
        const b = operand();
        take(')');
        return { kind: 'listAppend', a, b };
      }
      throw new Error(`update expression: unsupported function ${fn}`);
    }
    return { kind: 'path', path: path() };
  };
  const actions: UpdateAction[] = [];
  while (i < t.length) {
    const clause = take().toUpperCase();
    if (!CLAUSES.has(clause)) throw new Error(`update expression: expected SET, REMOVE, ADD or DELETE, got ${clause}`);
    for (;;) {
      if (clause === 'SET') {
        const p = path();
        take('=');
        let v = operand();
        if (peek() === '+' || peek() === '-') {
          const op = take() as '+' | '-';
          v = { kind: 'arith', op, a: v, b: operand() };
        }
        actions.push({ kind: 'SET', path: p, value: v });
      } else if (clause === 'REMOVE') {
        actions.push({ kind: 'REMOVE', path: path() });
      } else {
        const p = path();
        actions.push({ kind: clause as 'ADD' | 'DELETE', path: p, value: value(take()) });
      }
      if (peek() !== ',') break;
      take(',');
    }
  }
  return actions;
}

function getPath(item: AttrMap, path: Path): AttributeValue | undefined {
  let current: AttributeValue | undefined = { M: item };
  for (const seg of path) {
    if (current === undefined) return undefined;
    if ('name' in seg) current = (current as { M?: AttrMap }).M?.[seg.name];
    else current = (current as { L?: AttributeValue[] }).L?.[seg.index];
  }
  return current;
}

function setPath(item: AttrMap, path: Path, v: AttributeValue | undefined): void {
  let container: AttributeValue = { M: item };
  for (let k = 0; k < path.length; k++) {
    const seg = path[k];
    const last = k === path.length - 1;
    if ('name' in seg) {
      const m: AttrMap | undefined = container.M;
      if (!m) throw new Error('update expression: path through a non-map');
      if (last) {
        if (v === undefined) delete m[seg.name];
        else m[seg.name] = v;
        return;
      }
      const next: AttributeValue | undefined = m[seg.name];
      if (next === undefined) throw new Error(`update expression: ${seg.name} does not exist`);
      container = next;
    } else {
      const l: AttributeValue[] | undefined = container.L;
      if (!l) throw new Error('update expression: index into a non-list');
      if (last) {
        if (v === undefined) {
          if (seg.index < l.length) l.splice(seg.index, 1);
        } else if (seg.index >= l.length) l.push(v);
        else l[seg.index] = v;
        return;
      }
      container = l[seg.index];
      if (container === undefined) throw new Error('update expression: list index out of range');
    }
  }
}

const isInteger = (n: string) => /^[+-]?\d+$/.test(n.trim());
function addNumbers(a: string, b: string, sign: 1 | -1): string {
  if (isInteger(a) && isInteger(b)) return String(BigInt(a) + BigInt(sign) * BigInt(b));
  return String(Number(a) + sign * Number(b));
}

const setKey = (x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('base64') : String(x));

function setUnion(a: AttributeValue | undefined, b: AttributeValue, remove: boolean): AttributeValue | undefined {
  const type = (['SS', 'NS', 'BS'] as const).find((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (!type) throw new Error('update expression: ADD/DELETE of a non-set, non-number value');
  const current = ((a as Record<string, unknown[]> | undefined)?.[type] ?? []) as unknown[];
  const incoming = (b as Record<string, unknown[]>)[type];
  const byKey = new Map(current.map((x) => [setKey(x), x] as const));
  for (const x of incoming) {
    if (remove) byKey.delete(setKey(x));
    else if (!byKey.has(setKey(x))) byKey.set(setKey(x), x);
  }
  if (byKey.size === 0) return undefined;
  return { [type]: [...byKey.values()] } as AttributeValue;
}

function evaluate(operand: Operand, item: AttrMap): AttributeValue | undefined {
  switch (operand.kind) {
    case 'value':
      return operand.value;
    case 'path':
      return getPath(item, operand.path);
    case 'ifNotExists':
      return getPath(item, operand.path) ?? evaluate(operand.fallback, item);
    case 'listAppend': {
      const a = evaluate(operand.a, item) as { L?: AttributeValue[] } | undefined;
      const b = evaluate(operand.b, item) as { L?: AttributeValue[] } | undefined;
      return { L: [...(a?.L ?? []), ...(b?.L ?? [])] };
    }
    case 'arith': {
      const a = evaluate(operand.a, item) as { N?: string } | undefined;
      const b = evaluate(operand.b, item) as { N?: string } | undefined;
      if (a?.N === undefined || b?.N === undefined) throw new Error('update expression: arithmetic on a missing or non-number operand');
      return { N: addNumbers(a.N, b.N, operand.op === '+' ? 1 : -1) };
    }
  }
}

/** The item after applying `expr` to `before` (which must hold the key when the item is new). */
export function applyUpdate(before: AttrMap, expr: string, names?: Record<string, string>, values?: AttrMap): AttrMap {
  const actions = parseUpdateExpression(expr, names, values);
  const original = structuredClone(before);
  const item = structuredClone(before);
  // Every operand reads the item as it was before the update.
  const sets = actions.map((a) => (a.kind === 'SET' ? evaluate(a.value, original) : undefined));
  actions.forEach((a, k) => {
    if (a.kind === 'SET') setPath(item, a.path, sets[k]);
    else if (a.kind === 'REMOVE') setPath(item, a.path, undefined);
    else {
      const current = getPath(item, a.path);
      const n = (a.value as { N?: string }).N;
      if (a.kind === 'ADD' && n !== undefined) {
        const base = (current as { N?: string } | undefined)?.N ?? '0';
        setPath(item, a.path, { N: addNumbers(base, n, 1) });
      } else setPath(item, a.path, setUnion(current, a.value, a.kind === 'DELETE'));
    }
  });
  return item;
}

// ---------------------------------------------------------------------------------------------
// The meter

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

export interface TableTotals {
  writeUnits: number;
  /** Part of writeUnits spent on index entries. */
  indexWriteUnits: number;
  readUnits: number;
  /** Item writes (attempted, failed conditions included). */
  writes: number;
  failedConditions: number;
  reads: number;
  /** Largest item written (bytes). */
  maxItemBytes: number;
  /** Item writes that cost more than one unit (items over 1 KB, or transactional). */
  multiUnitWrites: number;
}

export interface HotSpot {
  table: string;
  key: string;
  writes: number;
  writeUnits: number;
  /** Largest write units of one write. */
  maxWriteUnits: number;
}

/** A partition's write units in its busiest epoch, against the events of that epoch. */
export interface PeakShare {
  table: string;
  key: string;
  epoch: string;
  writeUnits: number;
  events: number;
  /** writeUnits / events: the partition's write units per event of the workload at its peak. */
  share: number;
}

export interface MeterSnapshot {
  writeUnits: number;
  readUnits: number;
  byTable: Record<string, TableTotals>;
  /** Items and partitions with the most write units. */
  hottestItems: HotSpot[];
  hottestPartitions: HotSpot[];
  /** Update expressions the meter could not evaluate (their after-image was taken from a read). */
  unsupported: number;
}

const emptyTotals = (): TableTotals => ({
  writeUnits: 0,
  indexWriteUnits: 0,
  readUnits: 0,
  writes: 0,
  failedConditions: 0,
  reads: 0,
  maxItemBytes: 0,
  multiUnitWrites: 0,
});

interface Outcome {
  output?: Record<string, any>;
  error?: unknown;
  /** Output items are unmarshalled (DynamoDBDocumentClient). */
  documentOutput?: boolean;
}

type WriteOp =
  | { kind: 'put'; table: string; item: AttrMap; condition: boolean }
  | { kind: 'update'; table: string; key: AttrMap; input: any }
  | { kind: 'delete'; table: string; key: AttrMap }
  | { kind: 'check'; table: string; key: AttrMap };

function keyString(info: TableInfo, item: AttrMap): string {
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

function pick(item: AttrMap, names: Iterable<string>): AttrMap {
  const out: AttrMap = {};
  for (const n of names) if (item[n] !== undefined) out[n] = item[n];
  return out;
}

const sameValue = (a: AttrMap, b: AttrMap) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(v: unknown): unknown {
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

export class CapacityMeter {
  enabled = true;
  private readonly infos = new Map<string, Promise<TableInfo>>();
  private readonly known = new Map<string, TableInfo>();
  /** table → key → the item as the meter believes it is stored. */
  private readonly items = new Map<string, Map<string, AttrMap>>();
  private readonly totals = new Map<string, TableTotals>();
  private readonly itemStats = new Map<string, HotSpot>();
  private readonly partitionStats = new Map<string, HotSpot>();
  private unsupported = 0;
  /** table + partition key → epoch → write units (when `epoch` is given). */
  private readonly partitionEpochs = new Map<string, { table: string; key: string; byEpoch: Map<string, number> }>();
  /** Labels each write with an epoch (e.g. the simulated day of the batch that makes it). */
  epoch?: () => string | undefined;

  /**
   * @param describe  key schema of a table (e.g. `describeWith(unmeteredClient)`), or a fixed map.
   * @param readBack  an unmetered consistent GetItem, used only for update expressions the
   *                  evaluator does not support.
   */
  constructor(
    private readonly describe: (table: string) => Promise<TableInfo>,
    private readonly readBack?: (table: string, key: AttrMap) => Promise<AttrMap | undefined>,
  ) {}

  static withTables(tables: Record<string, TableInfo>): CapacityMeter {
    return new CapacityMeter(async (t) => {
      const info = tables[t];
      if (!info) throw new Error(`no table ${t}`);
      return info;
    });
  }

  /** Installs the meter on a client (every DynamoDBDocumentClient made from it is metered too). */
  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!this.enabled) return next(args);
        const command = (context.commandName ?? '').replace(/Command$/, '');
        const doc = () =>
          (context as { __aws_sdk_context?: { features?: Record<string, string> } }).__aws_sdk_context?.features?.DDB_MAPPER === 'd';
        let result;
        try {
          result = await next(args);
        } catch (error) {
          await this.observe(command, args.input as Record<string, any>, { error });
          throw error;
        }
        await this.observe(command, args.input as Record<string, any>, {
          output: result.output as Record<string, any>,
          documentOutput: doc(),
        });
        return result;
      },
      // After serialisation: the document client's input is already marshalled here.
      { step: 'build', name: 'memberflowCapacityMeter', override: true },
    );
  }

  private async info(table: string): Promise<TableInfo> {
    const cached = this.known.get(table);
    if (cached) return cached;
    let p = this.infos.get(table);
    if (!p) {
      p = this.describe(table);
      this.infos.set(table, p);
    }
    const info = await p;
    this.known.set(table, info);
    return info;
  }

  private table(table: string): TableTotals {
    let t = this.totals.get(table);
    if (!t) this.totals.set(table, (t = emptyTotals()));
    return t;
  }

  private store(table: string): Map<string, AttrMap> {
    let s = this.items.get(table);
    if (!s) this.items.set(table, (s = new Map()));
    return s;
  }

  private charge(table: string, info: TableInfo, item: AttrMap, units: number, indexUnits: number, failed: boolean, size: number): void {
    const t = this.table(table);
    t.writeUnits += units + indexUnits;
    t.indexWriteUnits += indexUnits;
    t.writes++;
    if (failed) t.failedConditions++;
    if (units > 1) t.multiUnitWrites++;
    t.maxItemBytes = Math.max(t.maxItemBytes, size);
    const key = keyString(info, item);
    const bump = (map: Map<string, HotSpot>, k: string, label: string) => {
      const h = map.get(k) ?? { table, key: label, writes: 0, writeUnits: 0, maxWriteUnits: 0 };
      h.writes++;
      h.writeUnits += units + indexUnits;
      h.maxWriteUnits = Math.max(h.maxWriteUnits, units + indexUnits);
      map.set(k, h);
    };
    bump(this.itemStats, `${table}\u0000${key}`, key.replaceAll('\u0001', ' | '));
    const pk = key.split('\u0001')[0];
    bump(this.partitionStats, `${table}\u0000${pk}`, pk);
    const epoch = this.epoch?.();
    if (epoch !== undefined) {
      const id = `${table}\u0000${pk}`;
      let p = this.partitionEpochs.get(id);
      if (!p) this.partitionEpochs.set(id, (p = { table, key: pk, byEpoch: new Map() }));
      p.byEpoch.set(epoch, (p.byEpoch.get(epoch) ?? 0) + units + indexUnits);
    }
  }

  /**
   * The partitions whose write units per event of the workload are highest in their busiest epoch
   * (needs `epoch`; `eventsPerEpoch` counts the events of the batches of each epoch).
   */
  peakShares(
    eventsPerEpoch: ReadonlyMap<string, number>,
    opts: { top?: number; table?: string; epochs?: (epoch: string) => boolean } = {},
  ): PeakShare[] {
    const out: PeakShare[] = [];
    for (const p of this.partitionEpochs.values()) {
      if (opts.table !== undefined && p.table !== opts.table) continue;
      let best: PeakShare | undefined;
      for (const [epoch, writeUnits] of p.byEpoch) {
        if (opts.epochs && !opts.epochs(epoch)) continue;
        const events = eventsPerEpoch.get(epoch) ?? 0;
        if (events === 0) continue;
        const share = writeUnits / events;
        if (!best || share > best.share) best = { table: p.table, key: p.key, epoch, writeUnits, events, share };
      }
      if (best) out.push(best);
    }
    return out.sort((a, b) => b.share - a.share).slice(0, opts.top ?? 5);
  }

  /** Applies one item write to the meter's copy and charges it. */
  private async write(op: WriteOp, factor: number, failed: boolean): Promise<void> {
    const info = await this.info(op.table);
    const store = this.store(op.table);
    const keyItem = op.kind === 'put' ? op.item : op.key;
    const key = keyString(info, keyItem);
    const before = store.get(key);
    const beforeSize = itemSize(before);
    if (failed || op.kind === 'check') {
      this.charge(op.table, info, keyItem, writeUnitsFor(beforeSize) * factor, 0, failed, beforeSize);
      return;
    }
    let after: AttrMap | undefined;
    if (op.kind === 'put') after = op.item;
    else if (op.kind === 'delete') after = undefined;
    else {
      const { UpdateExpression, ExpressionAttributeNames, ExpressionAttributeValues } = op.input;
      try {
        after = applyUpdate(before ?? { ...op.key }, UpdateExpression, ExpressionAttributeNames, ExpressionAttributeValues);
      } catch (error) {
        this.unsupported++;
        if (!this.readBack) throw error;
        after = await this.readBack(op.table, op.key);
      }
    }
    const afterSize = itemSize(after);
    if (after) store.set(key, after);
    else store.delete(key);
    this.charge(
      op.table,
      info,
      keyItem,
      writeUnitsFor(Math.max(beforeSize, afterSize)) * factor,
      indexWriteUnits(info, before, after),
      false,
      Math.max(beforeSize, afterSize),
    );
  }

  private async read(table: string, keys: AttrMap[], consistent: boolean, factor: number): Promise<void> {
    const info = await this.info(table);
    const store = this.store(table);
    const t = this.table(table);
    for (const k of keys) {
      t.readUnits += readUnitsFor(itemSize(store.get(keyString(info, k))), consistent) * factor;
      t.reads++;
    }
  }

  private async readPage(table: string, index: string | undefined, items: AttrMap[], consistent: boolean): Promise<void> {
    const info = await this.info(table);
    const store = this.store(table);
    let size = 0;
    for (const item of items) {
      // Base-table reads cost the whole item, even with a projection.
      const tracked = index === undefined ? store.get(keyString(info, item)) : undefined;
      size += Math.max(itemSize(tracked), itemSize(item));
    }
    const t = this.table(table);
    t.readUnits += readUnitsFor(size, consistent);
    t.reads += items.length;
  }

  /** Accounts one command (exported for tests; the middleware calls it). */
  async observe(command: string, input: Record<string, any>, outcome: Outcome): Promise<void> {
    const failedCondition = (outcome.error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
    if (outcome.error && !failedCondition && (outcome.error as { name?: string }).name !== 'TransactionCanceledException') return;
    const out = outcome.output ?? {};
    const asItem = (x: Record<string, unknown>) => (outcome.documentOutput ? itemFromDocument(x) : (x as AttrMap));
    switch (command) {
      case 'PutItem':
        return this.write(
          { kind: 'put', table: input.TableName, item: input.Item, condition: Boolean(input.ConditionExpression) },
          1,
          failedCondition,
        );
      case 'UpdateItem':
        return this.write({ kind: 'update', table: input.TableName, key: input.Key, input }, 1, failedCondition);
      case 'DeleteItem':
        return this.write({ kind: 'delete', table: input.TableName, key: input.Key }, 1, failedCondition);
      case 'BatchWriteItem': {
        for (const [table, requests] of Object.entries(input.RequestItems as Record<string, any[]>)) {
          const info = await this.info(table);
          const unprocessed = new Set(
            ((out.UnprocessedItems?.[table] ?? []) as any[]).map((r) =>
              keyString(info, asItem(r.PutRequest?.Item ?? r.DeleteRequest?.Key)),
            ),
          );
          for (const r of requests) {
            const item = r.PutRequest?.Item ?? r.DeleteRequest?.Key;
            if (unprocessed.has(keyString(info, item))) continue;
            await this.write(
              r.PutRequest ? { kind: 'put', table, item, condition: false } : { kind: 'delete', table, key: item },
              1,
              false,
            );
          }
        }
        return;
      }
      case 'TransactWriteItems': {
        // A cancelled transaction is charged like failed conditions: the items as they stand.
        const cancelled = Boolean(outcome.error);
        for (const action of input.TransactItems as any[]) {
          if (action.Put)
            await this.write({ kind: 'put', table: action.Put.TableName, item: action.Put.Item, condition: true }, 2, cancelled);
          else if (action.Update)
            await this.write(
              { kind: 'update', table: action.Update.TableName, key: action.Update.Key, input: action.Update },
              2,
              cancelled,
            );
          else if (action.Delete)
            await this.write({ kind: 'delete', table: action.Delete.TableName, key: action.Delete.Key }, 2, cancelled);
          else if (action.ConditionCheck)
            await this.write({ kind: 'check', table: action.ConditionCheck.TableName, key: action.ConditionCheck.Key }, 2, cancelled);
        }
        return;
      }
      case 'GetItem':
        return this.read(input.TableName, [input.Key], Boolean(input.ConsistentRead), 1);
      case 'BatchGetItem': {
        for (const [table, request] of Object.entries(input.RequestItems as Record<string, any>)) {
          const info = await this.info(table);
          const unprocessed = new Set(((out.UnprocessedKeys?.[table]?.Keys ?? []) as any[]).map((k) => keyString(info, asItem(k))));
          const keys = (request.Keys as AttrMap[]).filter((k) => !unprocessed.has(keyString(info, k)));
          await this.read(table, keys, Boolean(request.ConsistentRead), 1);
        }
        return;
      }
      case 'TransactGetItems':
        for (const action of input.TransactItems as any[]) await this.read(action.Get.TableName, [action.Get.Key], true, 2);
        return;
      case 'Query':
      case 'Scan':
        return this.readPage(
          input.TableName,
          input.IndexName,
          ((out.Items ?? []) as Record<string, unknown>[]).map(asItem),
          Boolean(input.ConsistentRead),
        );
      default:
        if (/^(Execute|BatchExecute)/.test(command)) this.unsupported++;
    }
  }

  /** Write statistics of every partition of `table`. */
  partitions(table: string): HotSpot[] {
    return [...this.partitionStats.values()].filter((h) => h.table === table).map((h) => ({ ...h }));
  }

  snapshot(top = 5): MeterSnapshot {
    const byTable = Object.fromEntries([...this.totals].map(([t, v]) => [t, { ...v }]));
    const sum = (f: (t: TableTotals) => number) => [...this.totals.values()].reduce((s, t) => s + f(t), 0);
    const hottest = (m: Map<string, HotSpot>) =>
      [...m.values()]
        .sort((a, b) => b.writeUnits - a.writeUnits || b.writes - a.writes)
        .slice(0, top)
        .map((h) => ({ ...h }));
    return {
      writeUnits: sum((t) => t.writeUnits),
      readUnits: sum((t) => t.readUnits),
      byTable,
      hottestItems: hottest(this.itemStats),
      hottestPartitions: hottest(this.partitionStats),
      unsupported: this.unsupported,
    };
  }

  /** Items written through the meter, for `verify`. */
  trackedTables(): string[] {
    return [...this.items.keys()];
  }

  /**
   * Scans each metered table with an unmetered client and compares each stored item's size with
   * the meter's copy: the evidence that the before-images the meter charged were right.
   */
  async verify(client: DynamoDBClient): Promise<{ items: number; mismatched: number; untracked: number; examples: string[] }> {
    let items = 0;
    let mismatched = 0;
    let untracked = 0;
    const examples: string[] = [];
    for (const table of this.trackedTables()) {
      const info = await this.info(table);
      const store = this.store(table);
      const seen = new Set<string>();
      let startKey: AttrMap | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey as never, ConsistentRead: true }));
        for (const item of page.Items ?? []) {
          items++;
          const key = keyString(info, item);
          seen.add(key);
          const mine = store.get(key);
          if (!mine) untracked++;
          else if (itemSize(mine) !== itemSize(item)) {
            mismatched++;
            if (examples.length < 5) examples.push(`${table} ${key}: meter ${itemSize(mine)} B, stored ${itemSize(item)} B`);
          }
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      for (const key of store.keys()) if (!seen.has(key)) mismatched++;
    }
    return { items, mismatched, untracked, examples };
  }
}

/** Key schema and indexes of a table, read with `client` (DescribeTable is not metered). */
export function describeWith(client: DynamoDBClient): (table: string) => Promise<TableInfo> {
  return async (table) => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (!Table) throw new Error(`no table ${table}`);
    const order = (ks: { AttributeName?: string; KeyType?: string }[] = []) =>
      [...ks].sort((a, b) => (a.KeyType === 'HASH' ? 0 : 1) - (b.KeyType === 'HASH' ? 0 : 1)).map((k) => k.AttributeName!);
    const indexes = [...(Table.GlobalSecondaryIndexes ?? []), ...(Table.LocalSecondaryIndexes ?? [])].map((ix) => ({
      name: ix.IndexName!,
      keys: order(ix.KeySchema),
      projection: (ix.Projection?.ProjectionType ?? 'ALL') as IndexInfo['projection'],
      include: ix.Projection?.NonKeyAttributes ?? [],
    }));
    return { keys: order(Table.KeySchema), indexes };
  };
}
