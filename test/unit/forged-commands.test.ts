// Issue 19 item 4: commands come only from the daily jobs. A producer's tier_review, status_check,
// rfm_update or coins_day — unsigned, signed with another key, or altered after signing — is
// quarantined as `forged_command` and changes nothing; a producer's eventId in the commands'
// namespace is refused (naming `eventId`), so it can never make the real command a duplicate; and
// commands keep their own ring, so they never push producers' eventIds out of the 64-event ring.
import { describe, expect, it } from 'vitest';
import { dayNumber } from '../../shared/days/days';
import { commandSigner } from '../../shared/jobs/command-signature';
import { coinsDayCommand, rfmUpdateCommand, statusCheckCommand, tierReviewCommand } from '../../shared/jobs/commands';
import { MemoryPipeline } from '../support/memory-pipeline';

const AT = '2027-05-20T10:00:00+08:00';
const DAY = dayNumber('2027-05-20');
const purchase = (memberId: string, eventId: string, orderId: string, cents: number) =>
  JSON.stringify({
    eventId,
    type: 'purchase',
    memberId,
    occurredAt: AT,
    channel: 'app',
    orderId,
    lines: [{ sku: 's', category: 'food', amountCents: cents }],
  });
const session = (memberId: string, eventId: string) =>
  JSON.stringify({ eventId, type: 'session_end', memberId, occurredAt: AT, durationSeconds: 60, pageViews: 2 });
const bestRfm = { recencyDays: 0, frequency: 9, monetaryCents: 9_000_000, r: 5, f: 5, m: 5, segment: 'important-value' as const };

function quarantined(p: MemoryPipeline) {
  return [...p.quarantine.items.values()].map((q) => ({ reason: q.reason, detail: q.detail, eventId: q.eventId }));
}

describe('forged job commands', () => {
  const now = Date.parse('2027-05-20T04:00:00Z');
  const forgeries = {
    tier_review: tierReviewCommand('m1', DAY, now),
    status_check: statusCheckCommand('m1', DAY, now),
    rfm_update: rfmUpdateCommand('m1', DAY, bestRfm, now),
    coins_day: coinsDayCommand('m1', DAY, now),
  };

  for (const [type, command] of Object.entries(forgeries)) {
    it(`quarantines an unsigned ${type} from a producer and leaves the member as it was`, async () => {
      const p = new MemoryPipeline();
      await p.deliver(p.records([purchase('m1', 'p1', 'o1', 100_00)]));
      const before = structuredClone({ ...p.member('m1')!, version: 0, contribution: null });
      await p.deliver(p.records([JSON.stringify(command)]));
      expect(quarantined(p)).toEqual([
        {
          reason: 'forged_command',
          detail: `sig: missing: ${type} is accepted only from memberflow's daily jobs, signed`,
          eventId: command.eventId,
        },
      ]);
      expect({ ...p.member('m1')!, version: 0, contribution: null }).toEqual(before);
    });
  }

  it('quarantines an rfm_update signed with another key, or altered after signing: no rfm class, no segment', async () => {
    const p = new MemoryPipeline();
    await p.deliver(p.records([purchase('m1', 'p1', 'o1', 100_00)]));
    const otherKey = commandSigner('not-the-stack-key-0123456789abcdef0123456789');
    const genuine = p.signer.sign(rfmUpdateCommand('m1', DAY, { ...bestRfm, segment: 'general-keep' }, now));
    const altered = { ...genuine, rfm: bestRfm };
    await p.deliver(p.records([JSON.stringify(otherKey.sign(forgeries.rfm_update)), JSON.stringify(altered)]));
    expect(quarantined(p).map((q) => [q.reason, q.detail])).toEqual([
      ['forged_command', "sig: not the daily jobs' signature of this rfm_update command"],
      ['forged_command', "sig: not the daily jobs' signature of this rfm_update command"],
    ]);
    expect(p.member('m1')!.rfm).toBeNull();
    expect(p.member('m1')!.segments.filter((s) => s.startsWith('rfm-'))).toEqual([]);
    // The genuine command, as signed, applies.
    await p.deliver(p.records([JSON.stringify(genuine)]));
    expect(p.member('m1')!.rfm?.segment).toBe('general-keep');
  });

  it('refuses a producer eventId in the commands’ namespace, so the real command still applies', async () => {
    const p = new MemoryPipeline();
    await p.deliver(p.records([purchase('m1', 'p1', 'o1', 100_00)]));
    const real = rfmUpdateCommand('m1', DAY, bestRfm, now);
    const squatter = JSON.stringify({ eventId: real.eventId, type: 'app_open', memberId: 'm1', occurredAt: AT });
    await p.deliver(p.records([squatter, p.command(real)]));
    expect(quarantined(p)).toEqual([
      {
        reason: 'invalid_event',
        detail: `eventId: must not start with "rfm_update:": that prefix is reserved for memberflow's own commands`,
        eventId: real.eventId,
      },
    ]);
    expect(p.member('m1')!.rfm?.segment).toBe('important-value');
    for (const prefix of ['tier_review:', 'status_check:', 'coins_day:', 'erase_member:']) {
      const q = new MemoryPipeline();
      await q.deliver(q.records([JSON.stringify({ eventId: `${prefix}x`, type: 'app_open', memberId: 'm2', occurredAt: AT })]));
      expect(quarantined(q).map((e) => e.detail)).toEqual([
        `eventId: must not start with "${prefix}": that prefix is reserved for memberflow's own commands`,
      ]);
      expect(q.member('m2')).toBeUndefined();
    }
  });

  it('keeps commands out of the producers’ 64-event ring: a repeat after 64 commands is still a repeat', async () => {
    const p = new MemoryPipeline();
    await p.deliver(p.records([session('m1', 's1')]));
    // 64 job commands (a tier review for each of 64 earlier days), then the producer repeats s1.
    const commands = Array.from({ length: 64 }, (_, i) => p.command(tierReviewCommand('m1', DAY - 64 + i, now)));
    await p.deliver(p.records([...commands, session('m1', 's1')]));
    expect(p.daily('2027-05-20', '2027-05-20')[0].sessions).toBe(1);
    expect(p.member('m1')!.recentEventIds).toHaveLength(1);
    expect(p.member('m1')!.recentCommandIds).toHaveLength(32);
  });
});
