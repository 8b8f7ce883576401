// The counter catalogue is the one list of MetricsTable counters: the deltas write only names it
// describes, the contribution row follows it, and docs/metrics.md shows exactly its table.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BATCH_PROGRESS_KEY, COIN_DAY_PREFIX, dayKey, TOTALS_KEY } from '../../shared/keys/metrics-keys';
import { C, CONTRIBUTION_COUNTERS, CONTRIBUTION_WIDTH, COUNTER, COUNTER_CATALOGUE, type CounterSpec } from '../../shared/metrics/catalogue';
import { eventsToJsonLines, simulate } from '../../simulator';
import { MemoryPipeline } from '../support/memory-pipeline';

/** `seg|<segmentId>` → /^seg\|.+$/, `b<0..5>` → /^b[0-5]$/. */
function patternOf(spec: CounterSpec): RegExp {
  const escaped = spec.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = escaped.replace(/<(\d)\\\.\\\.(\d)>/g, '[$1-$2]').replace(/<[^>]+>/g, '.+');
  return new RegExp(`^${source}$`);
}

/**
 * What an in-order simulated month cannot write: the next-day corrections need an earlier day
 * arriving after a later one, late activity needs events 60+ days back, win-back needs the job.
 */
// Coins: redemptions, reversals and adjustments come through the API; a month has no expiry, and
// its refunds never outrun a member's coins (no debt). `erased`: the month has no erasure
// (test/unit/privacy/erasure-pipeline.test.ts books one).
const UNREACHED = [
  'erased',
  // A month of the default simulation has members only (test/unit/identity-pipeline.test.ts books visitors).
  'vis',
  'nv',
  'lcRetN',
  'lcResN',
  'lateActivity',
  'wbOffers',
  'wbConversions',
  'pv<a>.<b>',
  'redeemed',
  'reversed',
  'expired',
  'adjusted',
  'dD',
];

function catalogueTable(): string {
  const rows = COUNTER_CATALOGUE.map((c) => `| \`${c.name}\` | ${c.item} | ${c.doc} |`);
  return ['| counter | item | meaning |', '|---|---|---|', ...rows].join('\n');
}

describe('counter catalogue', () => {
  it('indexes the contribution row by the catalogue order', () => {
    expect(CONTRIBUTION_WIDTH).toBe(CONTRIBUTION_COUNTERS.length);
    CONTRIBUTION_COUNTERS.forEach((name, i) => expect(C[name]).toBe(i));
  });

  it('lists every fixed-name and contribution counter', () => {
    const names = new Set(COUNTER_CATALOGUE.map((c) => c.name));
    for (const name of Object.values(COUNTER)) expect(names, name).toContain(name);
    for (const name of CONTRIBUTION_COUNTERS)
      expect(
        COUNTER_CATALOGUE.some((c) => patternOf(c).test(name)),
        name,
      ).toBe(true);
  });

  it('describes every counter a simulated month writes, in the item kind it names', async () => {
    const pipeline = new MemoryPipeline(undefined, () => Date.parse('2026-11-15T12:00:00+08:00'));
    const lines = [...eventsToJsonLines(simulate({ members: 150, days: 30, seed: 5, start: '2026-10-01' }))];
    await pipeline.deliver(pipeline.records(lines), 200);
    const seen = new Set<string>();
    for (const [key, shards] of pipeline.metrics.items) {
      // The batch progress record (shared/batch/batch-progress.ts) holds no counters.
      if (key === BATCH_PROGRESS_KEY) {
        for (const item of shards.values()) expect(item.counters).toEqual({});
        continue;
      }
      const kind =
        key === TOTALS_KEY
          ? 'totals'
          : key.startsWith(COIN_DAY_PREFIX)
            ? null // legacy coin day and coin totals items (`cd#…`, `cd#all`): no longer written
            : key.startsWith(dayKey(0).slice(0, 2))
              ? 'day'
              : null;
      expect(kind, key).not.toBeNull();
      for (const item of shards.values()) {
        for (const name of Object.keys(item.counters)) {
          const spec = COUNTER_CATALOGUE.find((c) => patternOf(c).test(name));
          expect(spec, `${key} ${name}`).toBeDefined();
          expect(spec!.item.split('+'), `${key} ${name}`).toContain(kind);
          seen.add(spec!.name);
        }
      }
    }
    // The month reaches the rest of the catalogue: win-back needs 30 silent days and the status job.
    expect(COUNTER_CATALOGUE.map((c) => c.name).filter((name) => !seen.has(name))).toEqual(UNREACHED);
  });

  it('is the table in docs/metrics.md', () => {
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    expect(doc).toContain(catalogueTable());
  });
});
