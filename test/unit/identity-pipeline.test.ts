// OneID over the in-memory pipeline (docs/architecture.md#identity): visitors, identify, the link and
// its forwarded state, and each failure case of the single-writer design, against the oracle.
import { describe, expect, it } from 'vitest';
import { buildActivityOracle, type OracleEvent } from '../../harness/oracle/activity-oracle';
import { MemoryPipeline } from '../support/memory-pipeline';
import { ShardedStream } from '../support/sharded-stream';
import { visitorKey } from '../../shared/identity/keys';

const FROM = '2027-05-01';
const TO = '2027-05-12';
let n = 0;
const at = (day: number, hour = 10) => `2027-05-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+08:00`;
const ev = (fields: Partial<OracleEvent> & { type: OracleEvent['type'] }, day: number, hour = 10): OracleEvent =>
  ({ eventId: `e${++n}`, occurredAt: at(day, hour), ...fields }) as OracleEvent;
const purchase = (who: { memberId?: string; anonymousId?: string }, day: number, orderId: string, cents = 5000) =>
  ev({ type: 'purchase', ...who, channel: 'store', orderId, lines: [{ sku: 's', category: 'food', amountCents: cents }] }, day);
const lines = (events: readonly OracleEvent[]) => events.map((e) => JSON.stringify(e));

function expectOracle(stream: ShardedStream, events: readonly OracleEvent[]) {
  const oracle = buildActivityOracle(events, 'Asia/Shanghai');
  expect(stream.pipeline.daily(FROM, TO)).toEqual(oracle.daily(FROM, TO));
  expect(stream.pipeline.retention(FROM, TO)).toEqual(oracle.retention(FROM, TO));
  expect(stream.pipeline.sessions(FROM, TO)).toEqual(oracle.sessions(FROM, TO));
}

/** A visitor browsing for three days, then signing up and identifying; then more anonymous events. */
function story(prefix = '') {
  const A = { anonymousId: `${prefix}wx:o6_A` };
  const M = { memberId: `${prefix}M1` };
  return {
    before: [
      ev({ type: 'app_open', ...A }, 1),
      ev({ type: 'page_view', ...A }, 2),
      purchase(A, 2, `${prefix}guest-1`),
      ev({ type: 'app_open', ...A }, 3),
    ],
    join: [ev({ type: 'signup', ...M }, 3, 11), ev({ type: 'identify', ...M, ...A }, 3, 12)],
    after: [ev({ type: 'app_open', ...A }, 4), purchase(A, 5, `${prefix}guest-2`), ev({ type: 'app_open', ...M }, 5)],
  };
}

describe('identity over the in-memory pipeline', () => {
  it('counts a visitor as a person, then as the member it is identified to, every figure as the oracle', async () => {
    const s = story();
    const stream = new ShardedStream(new MemoryPipeline(), 3);
    stream.put(lines(s.before));
    await stream.drain();
    expectOracle(stream, s.before);
    const day1 = stream.pipeline.daily(FROM, FROM)[0];
    expect(day1).toMatchObject({ dau: 1, visitors: 1, newMembers: 0, lifecycle: { new: 1 } });

    stream.put(lines([...s.join, ...s.after]));
    await stream.drain();
    const all = [...s.before, ...s.join, ...s.after];
    expectOracle(stream, all);
    const member = stream.pipeline.member('M1')!;
    expect(member.identities).toEqual([visitorKey('wx:o6_A')]);
    expect(member.joinedOn).toBe(stream.pipeline.member(visitorKey('wx:o6_A'))!.joinedOn);
    // Anonymous purchases are the person's orders but earn no points.
    expect(member.lifetimePoints).toBe(0);
    expect(member.purchases.reduce((sum, p) => sum + p.orders, 0)).toBe(2);
    expect(stream.pipeline.daily(FROM, FROM)[0]).toMatchObject({ dau: 1, visitors: 0, newMembers: 1 });
  });
});
