// Bad input, fuzzed (fast-check), part 1: the event decoder (shared/events/events.ts decodeRecord) on
// arbitrary bytes, arbitrary JSON and valid events with one field broken: it never throws, and
// every verdict is specific — a known quarantine reason, and for an invalid event a detail that
// names the field. The API is fuzzed in fuzz-api.test.ts, the events consumer in fuzz-consumer.test.ts.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecord, MAX_FUTURE_MS, parseEvent } from '../../shared/events/events';

const NOW = Date.parse('2026-11-01T00:00:00Z');
const REASONS = new Set(['not_utf8', 'not_json', 'too_large', 'invalid_event', 'future_occurred_at', 'unknown_order']);
const sample = readFileSync(new URL('../../events/sample-month.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim());

/** Every verdict of the decoder is either a valid event or a specific quarantine reason. */
function checkVerdict(bytes: Uint8Array): void {
  const verdict = decodeRecord(bytes, NOW);
  if (verdict.ok) {
    expect(parseEvent(verdict.event).ok).toBe(true);
    expect(verdict.at).toBeLessThanOrEqual(NOW + MAX_FUTURE_MS);
    return;
  }
  expect(REASONS.has(verdict.reason), verdict.reason).toBe(true);
  expect(typeof verdict.detail).toBe('string');
  expect(verdict.detail.length).toBeGreaterThan(0);
  expect(typeof verdict.raw).toBe('string');
  expect(verdict.raw.length).toBeLessThanOrEqual(2048);
  // An invalid event names the field: "lines[0].amountCents: must be ≥ 0", "(record): …".
  if (verdict.reason === 'invalid_event') expect(verdict.detail).toMatch(/^(\(record\)|[^\s:]+): \S/);
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('the event decoder under fuzz', () => {
  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => checkVerdict(bytes)),
      { numRuns: 3000 },
    );
  });

  it('never throws on arbitrary JSON values, and gives each a specific verdict', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => checkVerdict(utf8(JSON.stringify(value) ?? 'null'))),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => checkVerdict(utf8(text))),
      { numRuns: 2000 },
    );
  });

  // One valid event of each type, then one field replaced by anything (or removed).
  const templates = new Map<string, Record<string, unknown>>();
  for (const line of sample) {
    const e = JSON.parse(line);
    if (!templates.has(e.type)) templates.set(e.type, e);
  }
  it('has a template of every event type', () => {
    expect([...templates.keys()].sort()).toEqual(['app_open', 'page_view', 'purchase', 'recharge', 'refund', 'session_end', 'signup']);
  });

  it('names the broken field of an otherwise valid event', () => {
    const broken = fc
      .tuple(fc.constantFrom(...templates.values()), fc.nat(), fc.option(fc.anything({ maxDepth: 2 }), { freq: 4 }))
      .map(([template, pick, value]) => {
        const keys = Object.keys(template);
        const key = keys[pick % keys.length];
        const event: Record<string, unknown> = { ...template };
        if (value === null) delete event[key];
        else event[key] = value;
        return { key, event };
      });
    fc.assert(
      fc.property(broken, ({ key, event }) => {
        const text = JSON.stringify(event);
        checkVerdict(utf8(text));
        const verdict = decodeRecord(utf8(text), NOW);
        if (!verdict.ok && verdict.reason === 'invalid_event' && key !== 'type') {
          expect(verdict.detail.startsWith(key), `${verdict.detail} should name ${key}`).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('quarantines oversized, non-UTF-8 and future records with their own reasons', () => {
    const base = templates.get('app_open')!;
    expect(decodeRecord(utf8(JSON.stringify({ ...base, attributes: { pad: 'x'.repeat(33_000) } })), NOW)).toMatchObject({
      ok: false,
      reason: 'too_large',
    });
    expect(decodeRecord(new Uint8Array([0x7b, 0xff, 0x7d]), NOW)).toMatchObject({ ok: false, reason: 'not_utf8' });
    expect(
      decodeRecord(utf8(JSON.stringify({ ...base, occurredAt: new Date(NOW + MAX_FUTURE_MS + 1000).toISOString() })), NOW),
    ).toMatchObject({ ok: false, reason: 'future_occurred_at', detail: expect.stringMatching(/^occurredAt: /) });
  });
});
