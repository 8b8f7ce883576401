// Outbound actions are exactly as exact as member state (#19 item 7; shared/actions/outbox.ts): an
// action is published only once the member write that derived it committed, and at least once
// after that, under its deterministic id — whatever dies or is lost in between.
import { describe, expect, it } from 'vitest';
import { processBatch, type Action, type ActionsPort, type MemberPort } from '../../shared/batch/process-batch';
import { fromMemberItem, toMemberItem } from '../../functions/adapters/member-item';
import { MemoryPipeline } from '../support/memory-pipeline';
import { openLine, purchaseLine } from '../support/event-lines';

const M = 'm00268';
/** 1,200 yuan on 2026-11-08: member → silver. */
const upgradeLines = () => [openLine('e1', M, '2026-11-08'), purchaseLine('e2', M, 'o1', '2026-11-08', 120_000)];
const upgradesOf = (actions: Iterable<Action>) => [...actions].filter((a) => a.type === 'tier_upgraded' && a.memberId === M);

/** An actions stream that records every publication, and can fail or lose some (each once). */
class FlakyActions implements ActionsPort {
  readonly calls: Action[][] = [];
  constructor(
    private readonly target: ActionsPort,
    private fault: { kind: 'throw' | 'lose'; when: (a: Action) => boolean } | null,
  ) {}
  async publish(actions: readonly Action[]) {
    this.calls.push([...actions]);
    const fault = this.fault;
    if (fault && actions.some(fault.when)) {
      this.fault = null;
      if (fault.kind === 'throw') throw new Error('ProvisionedThroughputExceededException: actions stream');
      // Acknowledged, then gone: what kinesis-mock did with the puts that came after its last
      // snapshot before the chaos run's restart (the reported m00268 upgrade).
      await this.target.publish(actions.filter((a) => !fault.when(a)));
      return;
    }
    await this.target.publish(actions);
  }
}

describe('the actions outbox', () => {
  it('sends an upgrade again at the member’s next delivery when its publication was acknowledged and then lost', async () => {
    const p = new MemoryPipeline();
    const lossy = new FlakyActions(p.actions, { kind: 'lose', when: (a) => a.type === 'tier_upgraded' });
    const first = await processBatch(p.records(upgradeLines()), p.ports({ actions: lossy }));
    expect(first.failedSeqs).toEqual([]);
    expect(p.member(M)!.tier.tier).toBe(1);
    expect(upgradesOf(p.actions.byId.values())).toEqual([]);

    // The member's next record (a day later): its delivery publishes what the last write carried.
    await p.deliver(p.records([openLine('e3', M, '2026-11-09')]));
    const [upgrade] = upgradesOf(p.actions.byId.values());
    expect(upgrade).toMatchObject({ type: 'tier_upgraded', memberId: M, day: '2026-11-08', details: { from: 'member', to: 'silver' } });
    // That write derived nothing new: the outbox is empty again (no write of its own to clear it).
    expect(p.member(M)!.actionsOut).toBeUndefined();
  });

  it('publishes nothing for a member write that never committed, and the action once it did (given up, then replayed)', async () => {
    const p = new MemoryPipeline();
    const refuse: MemberPort = { getMany: (ids) => p.members.getMany(ids), put: async () => false };
    const published = new FlakyActions(p.actions, null);
    const lines = upgradeLines();
    let attempt = p.records(lines);
    // Lambda's attempts of the batch, each from the failed record; then the batch goes to the bucket.
    for (let i = 0; i < 3; i++) {
      const result = await processBatch(attempt, p.ports({ members: refuse, actions: published }));
      expect(result.failedSeqs).toEqual([attempt[0].seq]);
    }
    expect(p.member(M)).toBeUndefined();
    expect(upgradesOf(published.calls.flat())).toEqual([]);
    expect(p.actions.byId.size).toBe(0);

    // The runbook replays the bucket at new positions: now the write commits, and so does its action.
    attempt = p.records(lines);
    await p.deliver(attempt, 100, { actions: published });
    expect(p.member(M)!.tier.tier).toBe(1);
    expect(upgradesOf(p.actions.byId.values())).toHaveLength(1);
  });

  it('publishes the upgrade when the invocation fails after the member write committed (the redelivery derives nothing new)', async () => {
    const p = new MemoryPipeline();
    const failing = new FlakyActions(p.actions, { kind: 'throw', when: (a) => a.type === 'tier_upgraded' });
    const records = p.records(upgradeLines());
    await expect(processBatch(records, p.ports({ actions: failing }))).rejects.toThrow(/actions stream/);
    // Lambda redelivers the whole batch: the member's high-water mark covers every record.
    const again = await processBatch(records, p.ports({ actions: failing }));
    expect(again.failedSeqs).toEqual([]);
    expect(again.written).toBe(0);
    expect(p.member(M)!.tier.tier).toBe(1);
    expect(upgradesOf(p.actions.byId.values())).toHaveLength(1);
  });

  it('keeps one content per actionId: a re-sent action is the one first sent, byte for byte, through the member item', async () => {
    const p = new MemoryPipeline();
    const sent = new FlakyActions(p.actions, null);
    await p.deliver(p.records(upgradeLines()), 100, { actions: sent });
    await p.deliver(p.records([openLine('e3', M, '2026-11-09')]), 100, { actions: sent });
    const stored = p.member(M)!;
    // The DynamoDB layout: the outbox as the item stores it, decoded as a later delivery reads it.
    const first = sent.calls.flat();
    const again = fromMemberItem(toMemberItem({ ...stored, actionsOut: first })).actionsOut!;
    expect(again.map((a) => JSON.stringify(a))).toEqual(first.map((a) => JSON.stringify(a)));
    const byId = new Map<string, Set<string>>();
    for (const a of sent.calls.flat()) byId.set(a.actionId, (byId.get(a.actionId) ?? new Set()).add(JSON.stringify(a)));
    expect([...byId.values()].every((contents) => contents.size === 1)).toBe(true);
    // Published after its write and again by the member's next delivery: at least once, never lost.
    expect(upgradesOf(sent.calls.flat()).length).toBeGreaterThanOrEqual(1);
  });
});
