// A day's metrics item stays bounded however many distinct acquisition channels sign up on it
// (#19 item 5): channels the programme lists are counted by name, every other one as `other`; the
// member keeps the channel it gave.
import { describe, expect, it } from 'vitest';
import { dayNumber } from '../../shared/days/days';
import { dayKey } from '../../shared/keys/metrics-keys';
import { channelRetention } from '../../shared/metrics/read';
import { MemoryPipeline } from '../support/memory-pipeline';

const signup = (i: number, channel: string) =>
  JSON.stringify({
    eventId: `su-${i}`,
    type: 'signup',
    memberId: `m${i}`,
    occurredAt: '2026-11-10T10:00:00+08:00',
    acquisitionChannel: channel,
  });

describe('acquisition channels in the daily metrics', () => {
  it('counts 3,000 distinct free-form channels as `other` on one bounded item', async () => {
    const p = new MemoryPipeline();
    const lines = [signup(0, 'weibo'), signup(1, 'sem'), ...Array.from({ length: 3_000 }, (_, i) => signup(i + 2, `campaign-${i}`))];
    await p.deliver(p.records(lines), 500);
    const counters = p.metrics.sum(dayKey(dayNumber('2026-11-10')));
    const byChannel = [...counters.keys()].filter((name) => name.startsWith('nc|')).sort();
    expect(byChannel).toEqual(['nc|other', 'nc|sem', 'nc|weibo']);
    expect(counters.get('nc|other')).toBe(3_000);
    // The whole day item: a few dozen counters, not thousands.
    expect(counters.size).toBeLessThan(60);
    expect(p.member('m2')!.acquisitionChannel).toBe('campaign-0');
    const day = dayNumber('2026-11-10');
    const rows = channelRetention((d) => p.metrics.sum(dayKey(d)), day, day);
    expect(rows.map((r) => [r.channel, r.size])).toEqual([
      ['other', 3_000],
      ['sem', 1],
      ['weibo', 1],
    ]);
  });

  it('counts by name the channels a programme lists', async () => {
    const p = new MemoryPipeline({ ...new MemoryPipeline().program, acquisitionChannels: ['campaign-7'] });
    await p.deliver(p.records([signup(1, 'campaign-7'), signup(2, 'weibo')]));
    const counters = p.metrics.sum(dayKey(dayNumber('2026-11-10')));
    expect([...counters.keys()].filter((name) => name.startsWith('nc|')).sort()).toEqual(['nc|campaign-7', 'nc|other']);
  });
});
