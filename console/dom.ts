// DOM helpers: elements built with textContent only (never parsed HTML), cards and tables.

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'testid') el.setAttribute('data-testid', String(v));
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el;
}

export function fill(id: string, ...children: Child[]): HTMLElement {
  const el = $(id);
  el.replaceChildren();
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** A figure card: label, big value (with the test id), optional note. */
export function card(label: string, value: string, testid: string, note?: Child, tone?: 'good' | 'bad'): HTMLElement {
  return h(
    'div',
    { class: `card${tone ? ` ${tone}` : ''}` },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value', testid }, value),
    note ? h('div', { class: 'note' }, note) : null,
  );
}

/** A plain table of cell texts; the first `textColumns` columns are left-aligned, the rest (figures) right. */
export function table(testid: string, headers: string[], rows: (string | number)[][], textColumns = 1): HTMLTableElement {
  const cls = (i: number) => (i < textColumns ? 'text' : undefined);
  return h(
    'table',
    { testid },
    h('thead', {}, h('tr', {}, ...headers.map((x, i) => h('th', { class: cls(i) }, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => h('td', { class: cls(i) }, String(c)))))),
  );
}
