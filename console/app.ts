// The operations console: a small page over the HTTP API (docs/api.md). Bundled with chart.js into
// one script by infra/build-console.ts and served by the api function (functions/api/console-assets.ts),
// so it needs no network beyond the API it came from. Everything it shows it reads from the API;
// every piece of text from the API is set with textContent, never parsed as HTML.
//
// This module boots the page and routes between panels; each panel is one module in panels/
// (a new panel: its module, an entry in RENDERERS and PAGES, and its section in index.html).
import { daysBetween, isDay } from './format';
import { api, type Daily, enc, type ProgramView, TOKEN_KEY } from './api-client';
import { $, fill } from './dom';
import { renderMember } from './panels/member';
import { renderOverview } from './panels/overview';
import { renderQuarantine } from './panels/quarantine';
import { renderRetention } from './panels/retention';
import { renderTiers } from './panels/tiers';
import { renderWinback } from './panels/winback';
import { renderCoins } from './panels/coins';
import { applyRole, askForToken, clearError, learnRole, showError } from './session';
import { currentRoute, initialRange, type Page, PAGES, setRange, state } from './state';

async function boot(): Promise<void> {
  try {
    // Also the token check: the first call that needs authorisation.
    const program = await api<ProgramView>('/metrics/program');
    state.today = program.asOf;
    state.tiers = Object.keys(program.byTier);
    const daily = await api<Daily>(`/metrics/daily?from=${state.today}&to=${state.today}`);
    state.timezone = daily.timezone;
    state.role = await learnRole();
    applyRole();
    $('signin').hidden = true;
    $('sign-out').hidden = !sessionStorage.getItem(TOKEN_KEY);
    fill('session-info', `today ${state.today} · ${state.timezone}${state.role === 'viewer' ? ' · viewer' : ''}`);
    if (!state.booted) initialRange();
    state.booted = true;
    await render();
  } catch (error) {
    showError(error);
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

async function render(): Promise<void> {
  if (!state.booted) return;
  const { page, arg } = currentRoute();
  const generation = ++state.generation;
  clearError();
  for (const p of PAGES) {
    const section = $(`page-${p}`);
    section.hidden = p !== page;
    document.querySelector(`.tabs a[data-page="${p}"]`)?.toggleAttribute('aria-current', false);
  }
  document.querySelector(`.tabs a[data-page="${page}"]`)?.setAttribute('aria-current', 'page');
  const section = $(`page-${page}`);
  section.dataset.state = 'loading';
  section.dataset.range = `${state.from}..${state.to}`;
  const stale = () => generation !== state.generation;
  try {
    await RENDERERS[page](stale, arg);
    if (!stale()) section.dataset.state = 'ready';
  } catch (error) {
    if (stale()) return;
    section.dataset.state = 'error';
    showError(error);
  }
}

type Renderer = (stale: () => boolean, arg?: string) => Promise<void>;

const RENDERERS: Record<Page, Renderer> = {
  overview: renderOverview,
  retention: renderRetention,
  tiers: renderTiers,
  coins: renderCoins,
  member: renderMember,
  quarantine: renderQuarantine,
  winback: renderWinback,
};

// ---------------------------------------------------------------------------------------------
// Wiring

function start(): void {
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = ($('token-input') as HTMLInputElement).value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('token-error').hidden = true;
    void boot();
  });
  $('sign-out').addEventListener('click', () => askForToken(false));
  $('range-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const from = ($('range-from') as HTMLInputElement).value;
    const to = ($('range-to') as HTMLInputElement).value;
    if (!isDay(from) || !isDay(to) || from > to) return void fill('range-hint', 'from must be on or before to');
    if (daysBetween(from, to) >= 366) return void fill('range-hint', 'at most 366 days');
    setRange(from, to, true);
    void render();
  });
  $('member-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = ($('member-id') as HTMLInputElement).value.trim();
    if (!id) return;
    const target = `#member/${enc(id)}`;
    if (location.hash === target) void render();
    else location.hash = target;
  });
  $('quarantine-limit').addEventListener('change', () => void render());
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="ret-mode"]')) {
    radio.addEventListener('change', () => {
      if (!radio.checked) return;
      $('ret-heatmap-onDay').hidden = radio.value !== 'onDay';
      $('ret-heatmap-onOrAfterDay').hidden = radio.value !== 'onOrAfterDay';
    });
  }
  window.addEventListener('hashchange', () => void render());
  void boot();
}

start();
