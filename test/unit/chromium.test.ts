import { describe, expect, it, vi } from 'vitest';
import { CHROMIUM_INSTALL, DEFAULT_CHROMIUM, findChromium } from '../support/chromium';

describe('finding the browser for the console test', () => {
  it('uses MEMBERFLOW_CHROMIUM, else /usr/bin/chromium', () => {
    expect(findChromium({}, (p) => p === DEFAULT_CHROMIUM)).toBe(DEFAULT_CHROMIUM);
    expect(findChromium({ MEMBERFLOW_CHROMIUM: '/opt/chrome' }, (p) => p === '/opt/chrome')).toBe('/opt/chrome');
  });

  it('outside CI, skips with a message naming the install command', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(findChromium({}, () => false)).toBeNull();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(CHROMIUM_INSTALL));
    warn.mockRestore();
  });

  it('in CI, fails instead of skipping', () => {
    expect(() => findChromium({ CI: 'true' }, () => false)).toThrow(`install it with: ${CHROMIUM_INSTALL}`);
  });
});
