// One batch of records from one shard, end to end, against ports: decode, quarantine the bad ones,
// group by member, reduce, then write — quarantine, earlier actions, counters, each changed member,
// and last the actions those member writes committed (shared/actions/outbox.ts).
//
// The batch's clock is its records' arrival times (never the wall clock): the future-event check
// and the member's "today" come out the same on every attempt (shared/member/reducer.ts).
//
// Exactly once: counters (day and coin) are added after the member writes, from the outbox each
// write carries (counter-flush.ts): only written members count, and a member written by an earlier
// attempt skips its records (its own high-water mark) while its outbox is added by the items that
// do not hold it (counter-marks.ts). A write's counts are the sum of its records' own deltas, each
// the change from the state before the record to the state after it, so they do not depend on how
// the attempts were cut.
import type { Action } from '../actions/actions';
import { hashHex } from '../util/hash';
import { forEachLimited } from '../util/limit';
import { compareSeq, parentSeq } from '../stream/position';
import { decodeBatch, type QuarantineItem, type StreamRecord } from './decode';
import type { MemberState } from '../member/state';
import { ordersToStore } from '../member/orders-outbox';
import { type Deltas } from '../metrics/deltas';
import { bookedMoves, coinCounts, mergeCounts, movesKey, nextMoves } from '../coins/outbox';
import { dayOf } from '../days/days';
import { erasureDeltas, memberErasedAction } from '../privacy/erasure';
import { planErasures, scrubErasedQuarantine, type ErasurePlan } from '../privacy/erasure-plan';
import { allSegments } from '../segments/segments';
import { isVisitorKey } from '../identity/keys';
import type { OutgoingRecord } from '../identity/commands';
import type { CommandSigner, SignableCommand } from '../jobs/command-signature';
import type { MergeRequest } from '../identity/merge-request';

import { START } from './counter-marks';
import { reduceMember, type MemberResult } from './reduce-member';
import { CounterFlush, deltasToCounts } from './counter-flush';
import { BATCH_PROGRESS_KEY, BatchProgress } from './batch-progress';
import { TOTALS_KEY } from '../keys/metrics-keys';
import { isSettleEntry, settleEntry, settleTagSource } from '../coins/settle';
import { tillCounts } from './till-counts';
import { dueToHint, hintOf, putDueHints, type DueHint } from '../coins/due-hints';
import type { BatchPorts, BatchResult, HintPort } from './ports';

export type { ForwardedRecord, ForwardPort, QuarantineItem, ShardRangePort, StreamRecord } from './decode';
export type { CounterItem, MetricsPort } from './counter-marks';

export type { Action };
export type { ActionsPort, BatchPorts, BatchResult, HintPort, MemberPort, QuarantinePort, SegmentPort } from './ports';

async function writeHints(
  results: readonly MemberResult[],
  stored: Map<string, MemberState>,
  source: string,
  hints: HintPort,
  noticeDays: number,
  relisted: readonly MemberState[],
): Promise<() => Promise<void>> {
  const days = new Map<number, { purchased: string[]; lastActive: string[] }>();
  const dues: DueHint[] = [];
  const note = (day: number, list: 'purchased' | 'lastActive', memberId: string) => {
    let lists = days.get(day);
    if (!lists) days.set(day, (lists = { purchased: [], lastActive: [] }));
    lists[list].push(memberId);
  };
  for (const r of results) {
    // Visitors are no members: the daily jobs have nothing to do for them.
    if (!r.changed || !r.final || isVisitorKey(r.memberId)) continue;
    const before = stored.get(r.memberId);
    const la = r.final.activity.lastActiveOn;
    if (la !== null && la !== (before?.activity.lastActiveOn ?? null)) note(la, 'lastActive', r.memberId);
    const known = new Map((before?.purchases ?? []).map((p) => [p.day, p.orders]));
    for (const p of r.final.purchases) if ((known.get(p.day) ?? 0) !== p.orders) note(p.day, 'purchased', r.memberId);
    // A member merged away holds no lots the job would look at (its survivor is hinted itself).
    const hint = r.final.linkedTo ? null : dueToHint(r.memberId, before?.coins, r.final.coins, noticeDays);
    if (hint) dues.push(hint);
  }
  // Members an earlier attempt listed: it may have died between their writes and its check of the
  // hints (due-hints.ts), so they are hinted again at their stored next due day.
  for (const m of relisted) {
    const hint = m.linkedTo ? null : hintOf(m.memberId, m.coins, noticeDays);
    if (hint) dues.push(hint);
  }
  // Each day's lists under their own content's name: a retry from a failed member (to the same last
  // record) names fewer members — those written by an earlier attempt skip their records — and must
  // add its lists to theirs, not replace them (identical lists, as a retry from the start, rewrite them).
  await Promise.all(
    [...days].map(([day, lists]) => {
      const digest = hashHex(`${[...lists.purchased].sort().join(',')}|${[...lists.lastActive].sort().join(',')}`);
      return hints.put(day, `${source}#${digest}`, lists);
    }),
  );
  // The coin-due hints' check once the member writes committed (shared/coins/due-hints.ts).
  return putDueHints(hints.coinDue, dues, source);
}

/**
 * The members erased in this batch: a last write whose outbox carries the totals booked out on the
 * erasure day (a segment ending at the command) and which marks the erasure booked (`erasedBy`:
 * a retry or a replay from the bucket books nothing again); deleted once its counters are added.
 * No hints, segment changes, ledger records or actions but `member_erased`; rejected records kept
 * without payload. One booked already that nothing here changed is not written again.
 */
function applyErasures(results: MemberResult[], plan: ErasurePlan, stored: Map<string, MemberState>): MemberResult[] {
  if (plan.erasing.size === 0) return results;
  const byId = new Map(results.map((r) => [r.memberId, r]));
  for (const [memberId, erasing] of plan.erasing) {
    const previous = byId.get(memberId);
    const state = previous?.final ?? stored.get(memberId)!;
    const booked = stored.get(memberId)?.erasedBy === erasing.erasureId;
    const segments = [...(previous?.segments ?? [])];
    if (!booked) {
      const deltas: Deltas = new Map();
      erasureDeltas(state, erasing.day, deltas);
      segments.push({ deltas });
    }
    const changed = segments.length > 0;
    byId.set(memberId, {
      memberId,
      firstSeq: previous?.firstSeq ?? erasing.position.seq,
      final: changed
        ? { ...state, erasedBy: erasing.erasureId, highWater: erasing.position, ordersOut: undefined, actionsOut: undefined }
        : null,
      changed,
      segments,
      rejections: [],
      tierChanges: [],
      actions: [memberErasedAction(erasing.memberHash, erasing.erasureId, erasing.day)],
      // Coins of records applied just before the erasure are not booked: the member is gone.
      coinEntries: [],
      forwards: [],
      applied: [],
      erasedRejections: previous?.rejections ?? [],
    });
  }
  return [...byId.values()];
}

export async function processBatch(records: readonly StreamRecord[], ports: BatchPorts): Promise<BatchResult> {
  const empty = { failedSeqs: [], events: records.length, members: 0, written: 0, quarantined: 0, counterItems: 0, actions: 0 };
  if (records.length === 0) return empty;
  const shardId = records[0].shardId;
  // Positions, not sequence numbers: inside an aggregate each sub-record has its own.
  const { byMember, erases, settles, quarantine, forward, last, userRecords } = await decodeBatch(records, {
    shards: ports.shards,
    canForward: !!ports.forward,
    commands: ports.commands,
  });
  // Sub-records of other shards' members go back to the stream first: a retry forwards them again,
  // and their eventIds make that a duplicate the member's own shard absorbs.
  if (forward.length) await ports.forward!.put(forward);
  const stored = await ports.members.getMany([...new Set([...byMember.keys(), ...erases.keys()])]);
  // The states this batch's identity_absorb records fold in, as their owners stored them.
  const sourceKeys = new Set<string>();
  for (const list of byMember.values()) for (const x of list) if (x.event.type === 'identity_absorb') sourceKeys.add(x.event.from);
  const sources = sourceKeys.size ? await ports.members.getMany([...sourceKeys]) : new Map<string, MemberState>();
  // The api's requests behind this batch's member_merge commands (by the member merged away).
  const merging = [...byMember].filter(([, list]) => list.some((x) => x.event.type === 'member_merge')).map(([key]) => key);
  const mergeRequests = merging.length && ports.merges ? await ports.merges.requests(merging) : new Map<string, MergeRequest>();
  const concurrency = ports.concurrency ?? 16;
  // The orders earlier writes of these members applied, on the ledger before any is reduced (an
  // earlier delivery may have died between a member write and its orders: orders-outbox.ts).
  // One read for all of them (per 100 orders), not one per member.
  const outboxes = new Map<string, MemberState>();
  for (const s of [...stored.values(), ...sources.values()]) if (s.ordersOut?.length) outboxes.set(s.memberId, s);
  if (outboxes.size)
    await ports.ledger.storeOrders(
      [...outboxes.values()].map((s) => ({ memberId: s.memberId, orders: ordersToStore(s.ordersOut, s.highWater) })),
    );
  const arrivedAt = (position: { seq: string }) =>
    records.find((x) => x.seq === parentSeq(position.seq))?.arrivedAt ?? records[records.length - 1].arrivedAt;
  const plan: ErasurePlan = ports.erasure
    ? await planErasures(byMember, erases, stored, ports.erasure, (at) => dayOf(at, ports.program.timezone), arrivedAt)
    : {
        erasing: new Map(),
        resweep: new Set(),
        quarantine: [...erases.values()].flat().map((e) => ({
          reason: 'erasure_not_requested' as const,
          detail: 'erasure is not configured',
          position: e.position,
          arrivedAt: e.arrivedAt,
        })),
      };
  for (const q of plan.quarantine) {
    // No payload, no event id, no member id: the record may belong to an erased member.
    quarantine.push({
      receivedAt: new Date(q.arrivedAt).toISOString(),
      reason: q.reason,
      detail: q.detail,
      raw: '',
      shardId: q.position.shardId,
      seq: q.position.seq,
    });
  }

  // In the batch's member order, whatever order the reductions finish in: the writes that follow
  // (and so which of them a fault hits) do not depend on I/O timing.
  let results: MemberResult[] = new Array(byMember.size);
  await forEachLimited(
    [...byMember].map((entry, i) => [i, entry] as const),
    concurrency,
    async ([i, [memberId, incoming]]) => {
      results[i] = await reduceMember(memberId, stored.get(memberId) ?? null, incoming, ports, sources, mergeRequests);
    },
  );
  results = applyErasures(results, plan, stored);
  // Counts ride on the member write (its outbox, `coinOut`) and are added to the counters after it.
  const counterKeys = new Set<string>();
  /** Each result's own counts (its coin entries' and its records' deltas), built once. */
  const ownCounts = results.map((r) => {
    const counts = coinCounts(r.coinEntries, r.final?.coins.asOf ?? null);
    for (const s of r.segments) deltasToCounts(s.deltas, counts);
    return counts;
  });
  results.forEach((r, i) => {
    for (const key in ownCounts[i]) counterKeys.add(key);
    const old = stored.get(r.memberId)?.coinOut;
    if (old && old.shardId === shardId) for (const key of Object.keys(old.counts)) counterKeys.add(key);
  });
  // The batch progress record, and the totals item that tells whether its attempt settled.
  counterKeys.add(BATCH_PROGRESS_KEY);
  counterKeys.add(TOTALS_KEY);
  const counterItems = await ports.metrics.read([...counterKeys], shardId);
  // Members an earlier attempt may have written without adding their counters (batch-progress.ts).
  const progressRead = counterItems.get(BATCH_PROGRESS_KEY);
  counterItems.delete(BATCH_PROGRESS_KEY);
  const progress = new BatchProgress(ports.metrics, shardId, last, progressRead, counterItems.get(TOTALS_KEY));
  const inBatch = new Set(results.map((r) => r.memberId));
  const unsettledIds = progress.earlier.filter((id) => !inBatch.has(id) && !isSettleEntry(id));
  const unsettled = unsettledIds.length ? await ports.members.getMany(unsettledIds) : new Map<string, MemberState>();
  const moreKeys = [...unsettled.values()].flatMap((m) =>
    m.coinOut?.shardId === shardId ? Object.keys(m.coinOut.counts).filter((k) => !counterKeys.has(k)) : [],
  );
  if (moreKeys.length) for (const [k, v] of await ports.metrics.read([...new Set(moreKeys)], shardId)) counterItems.set(k, v);
  // The till's operations to count (shared/coins/settle.ts): no member write carries them.
  const till = await tillCounts(shardId, settles, progress.earlier, counterItems, ports);
  const counterFlush = new CounterFlush(counterItems, { shardId, last, metrics: ports.metrics, concurrency });
  results.forEach((r, i) => {
    if (!r.changed || !r.final) return;
    const counts = ownCounts[i];
    const old = stored.get(r.memberId)?.coinOut;
    // What of the old outbox no item holds yet rides on with the new one.
    if (old) mergeCounts(counts, old.counts, counterFlush.notHeld(old, r.memberId));
    const { moves, held } = nextMoves(old, bookedMoves(r.coinEntries), !!r.final.linkedTo);
    // At the member's own position (the last record it applied), whatever the batch's cut.
    const at = r.final.highWater?.shardId === shardId ? r.final.highWater.seq : last;
    // A changed member's final state is this batch's own (its reduction's copy, never the stored
    // member): its outboxes are set in place, no copy of the member per write (#16).
    r.final.coinOut =
      Object.keys(counts).length || moves.length
        ? { shardId, seq: at, counts, ...(moves.length ? { moves } : {}), ...(held ? { held } : {}) }
        : null;
  });
  // Moves an earlier delivery filed from the member (it may have crashed after the member write):
  // stored before this delivery replaces the outbox. One read per such member; usually already there.
  await forEachLimited(
    results.filter((r) => {
      const old = stored.get(r.memberId)?.coinOut;
      return !!old?.moves?.length && !old.held && !plan.erasing.has(r.memberId);
    }),
    concurrency,
    async (r) => {
      const old = stored.get(r.memberId)!.coinOut!;
      const key = movesKey(old);
      if (!(await ports.ledger.hasCoinMoves(r.memberId, key))) await ports.ledger.putCoinMoves(r.memberId, key, old.moves!);
    },
  );

  // Quarantine first: records skipped by a member's high-water mark are never looked at again.
  // Looked up only for a batch with rejections (most have none: no map of every record).
  const anyRejected = results.some((r) => r.rejections.length);
  const arrivals = anyRejected ? new Map(records.map((x) => [x.seq, x.arrivedAt])) : new Map<string, number>();
  // The original text, never a re-serialisation of the parsed event (which may nest thousands deep).
  const raws = anyRejected
    ? new Map([...byMember.values()].flatMap((list) => list.map((x) => [x.position.seq, x.raw ?? ''] as const)))
    : new Map<string, string>();
  const rejected: QuarantineItem[] = results.flatMap((r) =>
    r.rejections.map((rej) => ({
      receivedAt: new Date(arrivals.get(parentSeq(rej.position.seq))!).toISOString(),
      reason: rej.reason,
      detail: rej.detail,
      eventId: rej.event.eventId,
      memberId: r.memberId,
      raw: raws.get(rej.position.seq) ?? '',
      shardId: rej.position.shardId,
      seq: rej.position.seq,
    })),
  );
  const erasedRejected: QuarantineItem[] = results.flatMap((r) =>
    (r.erasedRejections ?? []).map((rej) => ({
      receivedAt: new Date(arrivedAt(rej.position)).toISOString(),
      reason: 'erased_member' as const,
      detail: 'the member was erased; the record is not kept',
      raw: '',
      shardId: rej.position.shardId,
      seq: rej.position.seq,
    })),
  );
  const candidates = [...quarantine, ...rejected];
  const allQuarantined = [...(ports.erasure ? await scrubErasedQuarantine(candidates, ports.erasure) : candidates), ...erasedRejected];
  if (allQuarantined.length) await ports.quarantine.putAll(allQuarantined);
  await forEachLimited(
    results.filter((r) => r.tierChanges.length),
    concurrency,
    (r) => ports.ledger.recordTierChanges(r.memberId, r.tierChanges),
  );
  // Actions (shared/actions/outbox.ts): a member write carries the actions it derived and they are
  // published once it committed. First what earlier deliveries left on this batch's members (one
  // may have died before publishing; the writes below replace it) — but for a member erased now,
  // nothing that names it — and the erasures' own actions.
  const toWrite = (r: MemberResult) => r.changed && !!r.final;
  const earlier = [
    ...results.filter((r) => !plan.erasing.has(r.memberId)).flatMap((r) => stored.get(r.memberId)?.actionsOut ?? []),
    ...results.filter((r) => !toWrite(r)).flatMap((r) => r.actions),
  ];
  if (earlier.length) await ports.actions.publish(earlier);
  for (const r of results) if (toWrite(r)) r.final!.actionsOut = r.actions.length ? r.actions : undefined;
  const membership = results.flatMap((r) => {
    const before = new Set(stored.get(r.memberId)?.segments ?? []);
    // A member erased now leaves every segment (and its sweep removes the memberships again).
    const after = new Set(plan.erasing.has(r.memberId) ? [] : (r.final?.segments ?? []));
    const entered = [...after].filter((id) => !before.has(id));
    const exited = [...before].filter((id) => !after.has(id));
    return entered.length || exited.length ? [{ memberId: r.memberId, entered, exited }] : [];
  });
  if (membership.length) await ports.segments.apply(membership);
  const notErased = results.filter((r) => !plan.erasing.has(r.memberId));
  const relisted = progress.earlier
    .filter((id) => !isSettleEntry(id) && !plan.erasing.has(id))
    .flatMap((id) => stored.get(id) ?? unsettled.get(id) ?? []);
  const checkDueHints = await writeHints(
    notErased,
    stored,
    `${shardId}#${last}`,
    ports.hints,
    ports.program.coins.expiryNoticeDays,
    relisted,
  );

  // Before the first member write; the members an earlier attempt left stay listed until settled —
  // but for one gone since (erased: no outbox left to add, and its id is kept nowhere).
  const stillListed = progress.earlier.filter((id) => isSettleEntry(id) || inBatch.has(id) || unsettled.has(id));
  await progress.started([...results.filter(toWrite).map((r) => r.memberId), ...stillListed, ...till.listed]);
  await till.store();
  const failed: string[] = [];
  /** Members whose write failed → their stored position (before all their records of the batch). */
  const failedMembers = new Map<string, string>();
  let written = 0;
  const committedIds = new Set<string>();
  await forEachLimited(
    results.filter((r) => r.changed && r.final),
    concurrency,
    async (r) => {
      let committed: boolean;
      try {
        committed = await ports.members.put(r.final!, r.applied);
        if (!committed) ports.onMemberError?.(new Error('member changed while the batch was applied'));
      } catch (error) {
        ports.onMemberError?.(error);
        committed = false;
      }
      if (!committed) {
        // The write may have committed before the failure answer: a timeout after the request was
        // sent, or the SDK's retry of a committed write failing its version condition. Its counts
        // must then stay in: its records are never reduced again. The member's high-water mark
        // tells (only this batch sets it to its own records); a failed look fails the batch.
        const now = (await ports.members.getMany([r.memberId])).get(r.memberId);
        const mine = r.final!.highWater;
        committed = !!now?.highWater && !!mine && now.highWater.shardId === mine.shardId && now.highWater.seq === mine.seq;
      }
      if (!committed) {
        failed.push(r.firstSeq);
        const before = stored.get(r.memberId)?.highWater;
        failedMembers.set(r.memberId, before?.shardId === shardId ? before.seq : START);
        return;
      }
      written++;
      committedIds.add(r.memberId);
      const out = r.final!.coinOut;
      if (out) counterFlush.add(out, r.memberId);
      try {
        // New to the ledger when reduced (orders-outbox.ts rule 3): put without reading first.
        if (r.final!.ordersOut?.length)
          await ports.ledger.storeNewOrders(r.memberId, ordersToStore(r.final!.ordersOut, r.final!.highWater));
        if (out?.moves?.length && !out.held) await ports.ledger.putCoinMoves(r.memberId, movesKey(out), out.moves);
      } catch (error) {
        // Counted above; the redelivery finds the orders and moves on the member and stores them.
        ports.onMemberError?.(error);
        failed.push(r.firstSeq);
      }
    },
  );
  await checkDueHints();
  // A failed write contributed nothing; its redelivery's outbox is added where the marks passed it.
  // What an earlier attempt's write left on the member rode on the failed one: added now, at its own
  // position, which the member's exception (from there on) does not cover.
  for (const [memberId, after] of failedMembers) {
    const old = stored.get(memberId)?.coinOut;
    if (old) counterFlush.add(old, memberId);
    counterFlush.memberFailed(memberId, after);
  }
  // Identity commands after the writes: a link is stored before its absorb can be read (a member
  // whose write failed forwards nothing now; its retry forwards again).
  const identityForwards = results.filter((r) => !failedMembers.has(r.memberId)).flatMap((r) => r.forwards);
  if (identityForwards.length) {
    if (!ports.forward) throw new Error('identity commands need the forward port');
    await ports.forward.put(identityForwards.map((record) => signedIdentityRecord(record, ports.commands)));
  }
  /**
   * What stays listed in the batch progress once the counters are written: counts beyond this
   * batch (a bisected half, a shorter retry). The attempt that reaches them adds them — and if
   * Lambda gives up on it first, the next batch does: their replay counts nothing, as the members'
   * marks or the records' places cover them.
   */
  const kept: string[] = [];
  // Members this delivery did not rewrite may still carry counts an interrupted attempt left.
  for (const r of results) {
    const old = r.changed ? null : stored.get(r.memberId)?.coinOut;
    if (old && !counterFlush.add(old, r.memberId)) kept.push(r.memberId);
  }
  for (const m of unsettled.values()) if (m.coinOut && !counterFlush.add(m.coinOut, m.memberId)) kept.push(m.memberId);
  // A till operation is the api's, committed whatever becomes of its member's write here: counted
  // under a tag of its own, which no member exception covers (a failed member write marks the
  // member's positions from its stored one as not held, and settle records never move that one,
  // so a settle counted by an earlier batch and taken over again was counted twice).
  for (const c of till.counts)
    if (!counterFlush.add({ shardId, seq: c.seq, counts: c.counts }, settleTagSource(c.memberId))) kept.push(settleEntry(c));
  // Settled on the totals item only when nothing stays listed: otherwise the record, until it is
  // rewritten with what stays, must still list everything (an attempt dying in between left it so).
  const counterItemsWritten = await counterFlush.write(kept.length ? undefined : progress.attempt);
  await progress.settled(kept);
  // The committed writes' actions, in the batch's member order (a failure here fails the batch: its
  // redelivery publishes them from the members' outboxes).
  const committedActions = results.filter((r) => committedIds.has(r.memberId)).flatMap((r) => r.actions);
  if (committedActions.length) await ports.actions.publish(committedActions);
  // Erasures last, once their last write's counts are added: delete the member item, then sweep
  // every other trace (idempotent: a retry finds the erasure booked). A member whose last write
  // failed is not deleted: the redelivery books and deletes it.
  const segmentIds = allSegments(ports.program).map((sg) => sg.id);
  const erasingResults = new Map(results.filter((r) => plan.erasing.has(r.memberId)).map((r) => [r.memberId, r]));
  await forEachLimited([...plan.erasing], concurrency, async ([memberId, erasing]) => {
    const last = erasingResults.get(memberId)!;
    if (toWrite(last) && !committedIds.has(memberId)) return;
    const version = toWrite(last) ? last.final!.version + 1 : stored.get(memberId)!.version;
    // The ids linked to it first (docs/api.md#privacy-erasure-and-subject-access): the api tombstoned
    // them with the member, so once gone they are never recreated; a retry still finds them listed.
    const linked = await ports.members.getMany(stored.get(memberId)!.identities);
    for (const [key, state] of linked) {
      if (!(await ports.erasure!.deleteMember(key, state.version))) throw new Error('a linked id changed while its erasure was applied');
      await ports.erasure!.sweep(key, []);
    }
    if (!(await ports.erasure!.deleteMember(memberId, version))) {
      ports.onMemberError?.(new Error('member changed while its erasure was applied'));
      failed.push(erasing.position.seq);
      return;
    }
    await ports.erasure!.sweep(memberId, segmentIds);
  });
  await forEachLimited([...plan.resweep], concurrency, (memberId) => ports.erasure!.sweep(memberId, segmentIds));
  failed.sort(compareSeq);
  return {
    // A batch item failure names the Kinesis record: an aggregate's, for one of its sub-records.
    failedSeqs: failed.slice(0, 1).map(parentSeq),
    events: userRecords,
    forwarded: forward.length + identityForwards.length,
    members: byMember.size,
    written,
    quarantined: allQuarantined.length,
    counterItems: counterItemsWritten,
    actions: committedActions.length + results.filter((r) => !toWrite(r)).reduce((n, r) => n + r.actions.length, 0),
  };
}

const encoder = new TextEncoder();
/** A link or a forward signed with the command key, so the receiving owner knows the consumer put it. */
function signedIdentityRecord(record: OutgoingRecord, signer: CommandSigner | undefined): OutgoingRecord {
  const command = JSON.parse(new TextDecoder().decode(record.data)) as { type: string };
  if (!signer || (command.type !== 'identity_link' && command.type !== 'identity_forward')) return record;
  return { ...record, data: encoder.encode(JSON.stringify(signer.sign(command as SignableCommand))) };
}
