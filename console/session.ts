// Sign-in, the role, and errors shown in the banner.
import { api, ApiError, TOKEN_KEY, Unauthorized } from './api-client';
import { $ } from './dom';
import { OPERATOR_PAGES, state } from './state';

export function askForToken(wrongToken: boolean): void {
  sessionStorage.removeItem(TOKEN_KEY);
  state.generation++;
  const error = $('token-error');
  error.textContent = wrongToken ? 'Wrong or expired token: the API refused it. Enter the current API token.' : '';
  error.hidden = !wrongToken;
  $('signin').hidden = false;
  $('sign-out').hidden = true;
  const input = $('token-input') as HTMLInputElement;
  input.value = '';
  input.focus();
}

export function showError(error: unknown): void {
  if (error instanceof Unauthorized) return askForToken(error.presentedToken);
  const banner = $('banner');
  banner.textContent = error instanceof ApiError ? error.message : `Something went wrong: ${(error as Error)?.message ?? error}`;
  banner.hidden = false;
}

export function clearError(): void {
  $('banner').hidden = true;
}

/**
 * The caller's role, from the answer to an operator route: a viewer's token gets 403 there
 * (locally the HTTP server, in AWS the IAM policy). The probe asks for an export that cannot
 * exist, so an operator's answer is a 404 that reads nothing.
 */
export async function learnRole(): Promise<'operator' | 'viewer'> {
  try {
    await api('/exports/00000000-0000-4000-8000-000000000000');
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return 'viewer';
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  return 'operator';
}

/** Hides what the role may not use; the data calls behind it would be refused anyway. */
export function applyRole(): void {
  const viewer = state.role === 'viewer';
  for (const p of OPERATOR_PAGES)
    (document.querySelector(`.tabs a[data-page="${p}"]`) as HTMLElement | null)?.toggleAttribute('hidden', viewer);
  $('export-controls').hidden = viewer;
  document.body.dataset.role = state.role;
}
