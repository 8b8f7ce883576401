// OneID's internal commands are signed like the jobs' (#19 item 14 family, item 4): an
// identity_link or identity_forward from the public events stream — unsigned, or signed with
// another key — is quarantined as forged_command and links or forwards nothing; the consumer's own
// (signed) links and forwards still apply (test/unit/identity-pipeline.test.ts, over the sharded stream).
import { describe, expect, it } from 'vitest';
import { commandSigner } from '../../shared/jobs/command-signature';
import { MemoryPipeline } from '../support/memory-pipeline';

const AT = '2027-05-20T10:00:00+08:00';
const open = (eventId: string, ids: object) => JSON.stringify({ eventId, type: 'app_open', occurredAt: AT, ...ids });
const purchase = (eventId: string, memberId: string) =>
  JSON.stringify({
    eventId,
    type: 'purchase',
    memberId,
    occurredAt: AT,
    channel: 'store',
    orderId: `o-${eventId}`,
    lines: [{ sku: 's', category: 'c', amountCents: 200_000 }],
  });

const quarantined = (p: MemoryPipeline) => [...p.quarantine.items.values()].map((e) => ({ reason: e.reason, detail: e.detail }));

describe('forged identity commands', () => {
  const link = { eventId: 'link:x', type: 'identity_link', memberId: 'victim', anonymousId: 'wx:attacker', occurredAt: AT };
  const forward = {
    eventId: 'fw-1',
    type: 'identity_forward',
    memberId: 'victim',
    anonymousId: 'wx:attacker',
    occurredAt: AT,
    event: JSON.parse(purchase('fw-1', 'victim')),
  };
  for (const [name, command] of Object.entries({ identity_link: link, identity_forward: forward })) {
    for (const [how, line] of [
      ['unsigned', JSON.stringify(command)],
      ['signed with another key', JSON.stringify(commandSigner('another-key-0123456789abcdef0123456789abcdef').sign(command as never))],
    ] as const) {
      it(`quarantines an ${how} ${name} from a producer and changes nothing`, async () => {
        const p = new MemoryPipeline();
        await p.deliver(p.records([open('v1', { memberId: 'victim' }), open('a1', { anonymousId: 'wx:attacker' })]));
        const victim = structuredClone({ ...p.member('victim')!, version: 0, contribution: null });
        await p.deliver(p.records([line]));
        expect(quarantined(p)).toEqual([{ reason: 'forged_command', detail: expect.stringMatching(/^sig: /) }]);
        expect({ ...p.member('victim')!, version: 0, contribution: null }).toEqual(victim);
        expect(p.member('anon#wx:attacker')?.linkedTo ?? null).toBeNull();
      });
    }
  }
});
