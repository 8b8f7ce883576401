// Opaque tokens the API hands out and must get back unaltered (segment cursors, #19 item 14): the
// payload and an HMAC-SHA256 over a purpose label and the payload. The key is derived from a stack
// secret per purpose, so a token of one purpose never verifies as another's.
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAC_BYTES = 16;

export interface TokenSigner {
  sign(payload: string): string;
  /** The payload of a token this signer made, or null for anything else (altered, foreign, garbage). */
  open(token: string): string | null;
}

export function tokenSigner(secret: string, purpose: string): TokenSigner {
  if (secret.length < 16) throw new Error('the token secret must be at least 16 characters');
  const key = createHmac('sha256', secret).update(`memberflow token key\n${purpose}`).digest();
  const mac = (payload: string) => createHmac('sha256', key).update(payload, 'utf8').digest().subarray(0, MAC_BYTES);
  return {
    sign: (payload) => `${Buffer.from(payload, 'utf8').toString('base64url')}.${mac(payload).toString('base64url')}`,
    open(token) {
      const dot = token.indexOf('.');
      if (dot < 0) return null;
      const payload = Buffer.from(token.slice(0, dot), 'base64url').toString('utf8');
      const given = Buffer.from(token.slice(dot + 1), 'base64url');
      // Canonical encodings only: a re-encoded variant of a valid token is not that token.
      if (
        Buffer.from(payload, 'utf8').toString('base64url') !== token.slice(0, dot) ||
        given.toString('base64url') !== token.slice(dot + 1)
      )
        return null;
      return given.length === MAC_BYTES && timingSafeEqual(given, mac(payload)) ? payload : null;
    },
  };
}
