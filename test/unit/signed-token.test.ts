// Signed API tokens (segment cursors, #19 item 14): only the signer's own, unaltered tokens open.
import { describe, expect, it } from 'vitest';
import { tokenSigner } from '../../shared/util/signed-token';

const SECRET = 'a-secret-of-at-least-16-chars';

describe('signed tokens', () => {
  const signer = tokenSigner(SECRET, 'segment-members-cursor-v1');
  it('opens its own tokens to their payload', () => {
    expect(signer.open(signer.sign('tier-gold\n{"b":3,"k":"m1"}'))).toBe('tier-gold\n{"b":3,"k":"m1"}');
  });
  it('refuses altered, truncated, re-encoded, unsigned and foreign tokens', () => {
    const token = signer.sign('tier-gold\n{"b":3}');
    const [payload, mac] = token.split('.');
    const other = Buffer.from('tier-gold\n{"b":4}').toString('base64url');
    for (const bad of [
      `${other}.${mac}`,
      `${payload}.${mac.slice(0, -2)}`,
      `${payload}=.${mac}`,
      payload,
      '',
      '.',
      tokenSigner(SECRET, 'another-purpose').sign('tier-gold\n{"b":3}'),
      tokenSigner('another-secret-16-chars', 'segment-members-cursor-v1').sign('tier-gold\n{"b":3}'),
    ])
      expect(signer.open(bad)).toBeNull();
  });
});
