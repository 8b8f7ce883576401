// Segment actions on the tiers panel: an export (started, polled, downloaded) and a peek at members.
import type { ExportResponse, ExportStartedResponse, SegmentMembersResponse } from '../../functions/api/responses';
import { formatCount } from '../format';
import { api, enc, type Segment, sleep, Unauthorized } from '../api-client';
import { $, type Child, h } from '../dom';
import { showError } from '../session';
import { state } from '../state';

export function button(label: string, testid: string, kind: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', class: kind, testid }, label);
  b.addEventListener('click', onClick);
  return b;
}

export function exportButton(segment: Segment): HTMLButtonElement {
  const b = button('Export', `export-${segment.id}`, 'export', () => void runExport(segment));
  b.disabled = state.exporting;
  return b;
}

export function setExportButtons(disabled: boolean): void {
  state.exporting = disabled;
  for (const b of document.querySelectorAll<HTMLButtonElement>('button.export')) b.disabled = disabled;
}

/** Starts an export, shows its progress, then the download link (or the failure). */
export async function runExport(segment: Segment): Promise<void> {
  const format = ($('export-format') as HTMLSelectElement).value;
  const box = $('export-status');
  const started = Date.now();
  const show = (status: string, ...children: Child[]) => {
    box.hidden = false;
    box.dataset.status = status;
    box.className = `export-status ${status}`;
    box.replaceChildren(
      ...children
        .filter((c): c is Node | string => c !== null && c !== undefined && c !== false)
        .map((c) => (c instanceof Node ? c : String(c))),
    );
  };
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
  setExportButtons(true);
  try {
    show('starting', h('progress', { testid: 'export-progress' }), `Starting the ${format} export of ${segment.name}…`);
    const { exportId } = await api<ExportStartedResponse>(`/segments/${enc(segment.id)}/exports`, { method: 'POST', body: { format } });
    for (let delay = 400; ; delay = Math.min(2000, delay * 1.5)) {
      const e = await api<ExportResponse>(`/exports/${enc(exportId)}`);
      if (e.status === 'done' && e.url) {
        const file = `${segment.id}.${e.format}`;
        const link = h(
          'a',
          { href: e.url, download: file, rel: 'noopener noreferrer', testid: 'export-download', 'data-export-id': exportId },
          `Download ${file}`,
        );
        show(
          'done',
          `Export of ${segment.name} done: `,
          h('b', { testid: 'export-rows' }, formatCount(e.rowCount)),
          ' rows. ',
          link,
          h('span', { class: 'muted small' }, ' (the link is valid for 15 minutes)'),
        );
        return;
      }
      if (e.status === 'failed') {
        show('failed', `Export of ${segment.name} failed: ${e.error ?? 'unknown reason'}`);
        return;
      }
      show(
        e.status,
        h('progress', { testid: 'export-progress' }),
        `Exporting ${segment.name} (${format}): ${e.status}`,
        e.rowCount ? ` · ${formatCount(e.rowCount)} rows` : '',
        ` · ${elapsed()}`,
      );
      await sleep(delay);
    }
  } catch (error) {
    if (error instanceof Unauthorized) showError(error);
    else show('failed', `Export of ${segment.name} failed: ${(error as Error).message}`);
  } finally {
    setExportButtons(false);
  }
}

export async function peekMembers(segment: Segment): Promise<void> {
  const box = $('segment-members');
  box.hidden = false;
  box.replaceChildren(h('p', { class: 'loading' }, `Loading members of ${segment.name}…`));
  try {
    const page = await api<SegmentMembersResponse>(`/segments/${enc(segment.id)}/members?limit=50`);
    const chips = page.members.map((m) => {
      const b = h('button', { type: 'button', class: 'chip', 'data-member': m }, m);
      b.addEventListener('click', () => (location.hash = `member/${enc(m)}`));
      return b;
    });
    box.replaceChildren(
      h('h2', {}, `${segment.name}: `, page.nextCursor ? `first ${page.members.length} members` : `${page.members.length} members`),
      page.members.length ? h('div', { class: 'chips', testid: 'segment-members' }, ...chips) : h('p', { class: 'empty' }, 'No members.'),
    );
  } catch (error) {
    box.replaceChildren();
    showError(error);
  }
}
