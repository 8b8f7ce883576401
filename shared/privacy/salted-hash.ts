// The salted hash that stands for an erased member wherever a trace must stay (tombstone key,
// audit details, the member_erased action). HMAC-SHA256 keyed by the stack's secret salt: without
// the salt nobody can test a guessed id (ids are often phone numbers, a small space to guess).
import { createHmac } from 'node:crypto';

/** Minimum salt length in bytes (the stack generates 32). */
export const MIN_SALT_BYTES = 16;

export function saltedHash(salt: string, id: string): string {
  if (Buffer.byteLength(salt, 'utf8') < MIN_SALT_BYTES) throw new Error(`salt must be at least ${MIN_SALT_BYTES} bytes`);
  return createHmac('sha256', salt).update(id, 'utf8').digest('hex');
}

/** A salted-hash function bound to one salt (what the use cases receive). */
export type IdHasher = (id: string) => string;

export function idHasher(salt: string): IdHasher {
  if (Buffer.byteLength(salt, 'utf8') < MIN_SALT_BYTES) throw new Error(`salt must be at least ${MIN_SALT_BYTES} bytes`);
  return (id) => saltedHash(salt, id);
}
