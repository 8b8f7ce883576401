// Update expressions, evaluated on the capacity meter's copy of an item (bench/meter.ts): the
// after-image of an UpdateItem without a second request.
import { type AttributeValue, type AttrMap, setKey } from './billing';

export type Segment = { name: string } | { index: number };
export type Path = Segment[];
export type Operand =
  | { kind: 'path'; path: Path }
  | { kind: 'value'; value: AttributeValue }
  | { kind: 'ifNotExists'; path: Path; fallback: Operand }
  | { kind: 'listAppend'; a: Operand; b: Operand }
  | { kind: 'arith'; op: '+' | '-'; a: Operand; b: Operand };
export type UpdateAction =
  | { kind: 'SET'; path: Path; value: Operand }
  | { kind: 'REMOVE'; path: Path }
  | { kind: 'ADD' | 'DELETE'; path: Path; value: AttributeValue };

export const CLAUSES = new Set(['SET', 'REMOVE', 'ADD', 'DELETE']);

export function tokenize(expr: string): string[] {
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

export function getPath(item: AttrMap, path: Path): AttributeValue | undefined {
  let current: AttributeValue | undefined = { M: item };
  for (const seg of path) {
    if (current === undefined) return undefined;
    if ('name' in seg) current = (current as { M?: AttrMap }).M?.[seg.name];
    else current = (current as { L?: AttributeValue[] }).L?.[seg.index];
  }
  return current;
}

export function setPath(item: AttrMap, path: Path, v: AttributeValue | undefined): void {
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

export const isInteger = (n: string) => /^[+-]?\d+$/.test(n.trim());
export function addNumbers(a: string, b: string, sign: 1 | -1): string {
  if (isInteger(a) && isInteger(b)) return String(BigInt(a) + BigInt(sign) * BigInt(b));
  return String(Number(a) + sign * Number(b));
}

export function setUnion(a: AttributeValue | undefined, b: AttributeValue, remove: boolean): AttributeValue | undefined {
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

export function evaluate(operand: Operand, item: AttrMap): AttributeValue | undefined {
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
