// The audit chain's pure rules: hashing, chaining, and verification naming the first broken entry.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../shared/audit/canonical';
import { entryHash, GENESIS_HASH, nextEntry, type AuditEntry } from '../../../shared/audit/entry';
import { MemoryAuditLog } from '../../../shared/audit/memory-audit-log';
import { verifyChain } from '../../../shared/audit/verify';
import { idHasher, saltedHash } from '../../../shared/privacy/salted-hash';

async function chainOf(n: number): Promise<AuditEntry[]> {
  let t = Date.parse('2026-12-01T00:00:00Z');
  const log = new MemoryAuditLog(() => new Date((t += 1000)));
  for (let i = 1; i <= n; i++)
    await log.append({ actor: 'operator', action: 'segment_export_requested', target: `segment:s${i}`, details: { format: 'csv', i } });
  return log.entries.map((e) => ({ ...e, details: { ...e.details } }));
}

describe('audit chain', () => {
  it('hash = sha256(prevHash + canonical entry), first prevHash is the genesis hash', async () => {
    const [first, second] = await chainOf(2);
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    const canonical = canonicalJson({
      seq: 1,
      at: first.at,
      actor: 'operator',
      action: 'segment_export_requested',
      target: 'segment:s1',
      details: { format: 'csv', i: 1 },
    });
    expect(first.hash).toBe(
      createHash('sha256')
        .update(GENESIS_HASH + canonical)
        .digest('hex'),
    );
    expect(second.prevHash).toBe(first.hash);
    expect(second.seq).toBe(2);
  });

  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
  });

  it('an intact chain verifies', async () => {
    const result = verifyChain(await chainOf(10));
    expect(result).toEqual({ ok: true, entries: 10, headSeq: 10, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(verifyChain([])).toMatchObject({ ok: true, entries: 0 });
  });

  it.each([
    [
      'details',
      (e: AuditEntry) => {
        e.details.format = 'jsonl';
      },
    ],
    [
      'actor',
      (e: AuditEntry) => {
        e.actor = 'someone-else';
      },
    ],
    [
      'action',
      (e: AuditEntry) => {
        e.action = 'nothing';
      },
    ],
    [
      'target',
      (e: AuditEntry) => {
        e.target = 'segment:other';
      },
    ],
    [
      'at',
      (e: AuditEntry) => {
        e.at = '2026-12-01T00:00:06.500Z';
      },
    ],
    [
      'hash',
      (e: AuditEntry) => {
        e.hash = 'f'.repeat(64);
      },
    ],
  ])('editing %s of entry 6 names entry 6', async (_field, edit) => {
    const chain = await chainOf(10);
    edit(chain[5]);
    const result = verifyChain(chain);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.firstBroken.seq).toBe(6);
  });

  it('rewriting an entry with a recomputed hash is caught at the next entry', async () => {
    const chain = await chainOf(10);
    chain[3].details.format = 'jsonl';
    chain[3].hash = entryHash(chain[3].prevHash, chain[3]);
    const result = verifyChain(chain);
    expect(result).toMatchObject({ ok: false, firstBroken: { seq: 5, reason: 'prev_hash_mismatch' } });
  });

  it('a removed entry is named as missing', async () => {
    const chain = await chainOf(10);
    chain.splice(6, 1);
    expect(verifyChain(chain)).toMatchObject({ ok: false, firstBroken: { seq: 7, reason: 'seq_gap' } });
  });

  it('time never goes backwards: an appender with a slow clock takes the head time', () => {
    const head = { seq: 4, at: '2026-12-01T10:00:00.000Z', hash: 'a'.repeat(64) };
    const entry = nextEntry(head, { actor: 'x', action: 'y', target: 'z', details: {} }, new Date('2026-12-01T09:59:59.000Z'));
    expect(entry.at).toBe(head.at);
    expect(entry.seq).toBe(5);
  });
});

describe('salted hash', () => {
  const salt = 'a-test-salt-of-32-characters-xyz';

  it('is deterministic per salt, differs between salts and ids, and is hex sha256', () => {
    expect(saltedHash(salt, 'm-1')).toBe(saltedHash(salt, 'm-1'));
    expect(saltedHash(salt, 'm-1')).not.toBe(saltedHash(salt, 'm-2'));
    expect(saltedHash(`${salt}!`, 'm-1')).not.toBe(saltedHash(salt, 'm-1'));
    expect(saltedHash(salt, 'm-1')).toMatch(/^[0-9a-f]{64}$/);
    expect(idHasher(salt)('m-1')).toBe(saltedHash(salt, 'm-1'));
    // Not the plain hash of the id: without the salt nobody can test a guessed id.
    expect(saltedHash(salt, 'm-1')).not.toBe(createHash('sha256').update('m-1').digest('hex'));
  });

  it('refuses a short salt', () => {
    expect(() => idHasher('short')).toThrow(/salt/);
  });
});
