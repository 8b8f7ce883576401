// The chaos run's send plan: a simulated month cut into chunks and sent in order, with the
// stream-level faults mixed in (all deterministic for a seed):
//  - reordered: each chunk is a random interleaving of its members' records — records of
//    different members change places, each member's own records keep their order (the partition
//    key keeps them in one shard, in order, as docs/events.md#exactly-once relies on);
//  - duplicate_record: a producer retry — the same line again a few records later;
//  - reconfirmed_order: a purchase confirmed twice — the same order under a new eventId;
//  - poison_record: records that must be quarantined (not JSON, not UTF-8, over 32 KiB, invalid,
//    in the future, refund of an unknown order), for real members and for unknown ones;
//  - replayed_file: an already-sent chunk sent again as a whole (poison included);
//  - kinesis_restart / dynamodb_restart: markers where the harness restarts a service.
// Repeats are kept within what docs/events.md#exactly-once makes exact: a repeated eventId is at most
// REPEAT_WINDOW of its member's distinct events old when it arrives again (the member item keeps
// the latest 64); a line of a replayed chunk that would be older is left out of the replay.
import { readFileSync } from 'node:fs';
import { Rng } from '../../simulator/rng';

export const REPEAT_WINDOW = 48;

export type Step = { kind: 'records'; label: string; records: SendRecord[] } | { kind: 'restart'; service: 'kinesis' | 'dynamodb' };

export interface SendRecord {
  data: Buffer;
  /** Parsed event when the record is valid input (goes to the oracle). */
  event?: Record<string, any>;
  /** Expected quarantine reason for a poison record. */
  poison?: string;
  /** Partition key (memberId, else anonymousId, else a hash — decided by the producer). */
  memberId?: string;
}

export interface SendPlan {
  steps: Step[];
  counts: {
    simulated: number;
    duplicates: number;
    reconfirmedOrders: number;
    reorderedRecords: number;
    reorderedChunks: number;
    poison: number;
    poisonByReason: Record<string, number>;
    replays: number;
    replayedRecords: number;
    replayLeftOut: number;
    restarts: number;
  };
  /** Member ids that only poison records name (must stay unknown). */
  poisonOnlyMembers: string[];
}

export interface PlanOptions {
  seed: number;
  chunkSize?: number;
  duplicateRate?: number;
  reconfirmRate?: number;
  /** Poison records per chunk. */
  poisonPerChunk?: number;
  /** Replay every n-th chunk. */
  replayEvery?: number;
  restarts?: { kinesis: boolean; dynamodb: boolean };
  /** Now, for records "in the future". */
  nowMs?: number;
}

const BAD_RECORDS = new URL('../../events/bad-records.jsonl', import.meta.url);

/** The lines of events/bad-records.jsonl as bytes (one of them is not UTF-8). */
function badRecordLines(): Buffer[] {
  const bytes = readFileSync(BAD_RECORDS);
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      const line = bytes.subarray(start, i);
      if (line.toString('latin1').trim()) out.push(Buffer.from(line));
      start = i + 1;
    }
  }
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The quarantine reason the decoder gives each line of events/bad-records.jsonl. */
function badRecordReason(line: Buffer): string {
  if (line.length > 32 * 1024) return 'too_large';
  let value: any;
  try {
    value = JSON.parse(strictUtf8.decode(line));
  } catch (error) {
    return error instanceof SyntaxError ? 'not_json' : 'not_utf8';
  }
  if (value?.eventId === 'bad-future') return 'future_occurred_at';
  if (value?.eventId === 'bad-refund-unknown-order') return 'unknown_order';
  return 'invalid_event';
}

/** The stream partition key of an event (docs/events.md): memberId, else anonymousId. */
const partitionKeyOf = (e: Record<string, any>): string => e.memberId ?? e.anonymousId;

export function buildPlan(lines: readonly string[], opts: PlanOptions): SendPlan {
  const rng = new Rng(opts.seed ^ 0x6a09e667);
  const chunkSize = opts.chunkSize ?? 500;
  const duplicateRate = opts.duplicateRate ?? 0.015;
  const reconfirmRate = opts.reconfirmRate ?? 0.1;
  const poisonPerChunk = opts.poisonPerChunk ?? 4;
  const replayEvery = opts.replayEvery ?? 4;
  const nowMs = opts.nowMs ?? Date.now();
  const restarts = opts.restarts ?? { kinesis: true, dynamodb: true };
  const counts: SendPlan['counts'] = {
    simulated: lines.length,
    duplicates: 0,
    reconfirmedOrders: 0,
    reorderedRecords: 0,
    reorderedChunks: 0,
    poison: 0,
    poisonByReason: {},
    replays: 0,
    replayedRecords: 0,
    replayLeftOut: 0,
    restarts: 0,
  };

  // Per person: distinct eventIds in arrival order (to keep repeats inside the window). An anonymous
  // id's events count with the member it is identified to (after the link the member's ring holds
  // them): a person's count bounds the count of each of its ids' rings.
  const links = new Map<string, string>();
  for (const line of lines) {
    const e = JSON.parse(line) as Record<string, any>;
    if (e.type === 'identify' && !links.has(e.anonymousId)) links.set(e.anonymousId, e.memberId);
  }
  const personOf = (e: Record<string, any>): string => e.memberId ?? links.get(e.anonymousId) ?? `anon#${e.anonymousId}`;
  const history = new Map<string, { order: Map<string, number>; n: number }>();
  const arrive = (r: SendRecord) => {
    if (!r.event) return;
    const person = personOf(r.event);
    let h = history.get(person);
    if (!h) history.set(person, (h = { order: new Map(), n: 0 }));
    if (!h.order.has(r.event.eventId)) h.order.set(r.event.eventId, h.n++);
  };
  const age = (event: Record<string, any>): number => {
    const h = history.get(personOf(event));
    const at = h?.order.get(event.eventId);
    return h && at !== undefined ? h.n - at : 0;
  };

  const badLines = badRecordLines();
  let badNext = 0;
  let poisonSerial = 0;
  const poisonOnly = new Set<string>();
  const validRecord = (event: Record<string, any>): SendRecord => ({
    data: Buffer.from(JSON.stringify(event), 'utf8'),
    event,
    memberId: partitionKeyOf(event),
  });
  /** Well-formed JSON that the consumer must quarantine for `reason` (fields after the common ones). */
  const jsonPoison = (
    n: number,
    type: string,
    memberId: string,
    reason: string,
    fields: Record<string, unknown>,
    occurredAt = new Date(nowMs - 3600_000).toISOString(),
  ): SendRecord => ({
    data: Buffer.from(JSON.stringify({ eventId: `chaos-p${n}`, type, memberId, occurredAt, ...fields }), 'utf8'),
    poison: reason,
    memberId,
  });
  const unknownOrderRefund = (n: number) => ({ channel: 'store', orderId: `chaos-unknown-${n}`, lines: [{ sku: 's', amountCents: 100 }] });
  const poison = (realMember: string): SendRecord => {
    const n = ++poisonSerial;
    const pick = n % 8;
    const record = ((): SendRecord => {
      switch (pick) {
        case 0:
          if (badNext < badLines.length) {
            const line = badLines[badNext++];
            return { data: line, poison: badRecordReason(line) };
          }
          return { data: Buffer.from(`{"eventId":"chaos-p${n}","type":"app_open",`, 'utf8'), poison: 'not_json' };
        case 1:
          return { data: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d, n & 0x7f]), poison: 'not_utf8' };
        case 2:
          return jsonPoison(n, 'app_open', realMember, 'too_large', { attributes: { padding: 'x'.repeat(33 * 1024) } });
        case 3:
          return jsonPoison(n, 'purchase', realMember, 'invalid_event', {
            channel: 'app',
            orderId: `chaos-o${n}`,
            lines: [{ sku: 's', category: 'meat', amountCents: -100 }],
          });
        case 4:
          return jsonPoison(n, 'app_open', realMember, 'future_occurred_at', {}, new Date(nowMs + 86_400_000).toISOString());
        case 5:
          return jsonPoison(n, 'refund', realMember, 'unknown_order', unknownOrderRefund(n));
        case 6: {
          // A refund of an unknown order by a member nobody else names: must not create it.
          const memberId = `chaos-ghost-${n}`;
          poisonOnly.add(memberId);
          return jsonPoison(n, 'refund', memberId, 'unknown_order', unknownOrderRefund(n));
        }
        default: {
          const memberId = `chaos-ghost-${n}`;
          poisonOnly.add(memberId);
          return jsonPoison(n, 'session_end', memberId, 'invalid_event', { durationSeconds: 30 });
        }
      }
    })();
    return record;
  };

  const steps: Step[] = [];
  const chunks: string[][] = [];
  for (let i = 0; i < lines.length; i += chunkSize) chunks.push(lines.slice(i, i + chunkSize) as string[]);
  // A run shorter than `replayEvery` chunks still replays one file (its last chunk), so every fault
  // kind is injected at any size.
  const every = Math.max(1, Math.min(replayEvery, chunks.length));
  const kinesisAt = restarts.kinesis ? Math.max(0, Math.floor(chunks.length / 3) - 1) : -1;
  const dynamoAt = restarts.dynamodb ? Math.max(0, Math.floor((2 * chunks.length) / 3) - 1) : -1;

  chunks.forEach((chunk, ci) => {
    // Reorder across members: a uniformly random interleaving of the per-member sequences.
    const events = chunk.map((l) => JSON.parse(l) as Record<string, any>);
    const queues = new Map<string, Record<string, any>[]>();
    for (const e of events) {
      const q = queues.get(partitionKeyOf(e));
      if (q) q.push(e);
      else queues.set(partitionKeyOf(e), [e]);
    }
    const pool: string[] = [];
    for (const [memberId, q] of queues) for (let k = 0; k < q.length; k++) pool.push(memberId);
    const order: Record<string, any>[] = [];
    const heads = new Map<string, number>();
    for (let left = pool.length; left > 0; left--) {
      const j = rng.int(left);
      const memberId = pool[j];
      pool[j] = pool[left - 1];
      const at = heads.get(memberId) ?? 0;
      heads.set(memberId, at + 1);
      order.push(queues.get(memberId)![at]);
    }
    const moved = order.filter((e, i) => e !== events[i]).length;
    counts.reorderedRecords += moved;
    if (moved) counts.reorderedChunks++;

    const records: SendRecord[] = order.map(validRecord);
    // Producer repeats and re-confirmed orders, a few records after their original.
    const inserts: { at: number; record: SendRecord }[] = [];
    order.forEach((e, i) => {
      if (rng.next() < duplicateRate) {
        inserts.push({ at: i + 1 + rng.int(30), record: validRecord(e) });
        counts.duplicates++;
      }
      if (e.type === 'purchase' && rng.next() < reconfirmRate) {
        inserts.push({ at: i + 1 + rng.int(30), record: validRecord({ ...e, eventId: `${e.eventId}~reconfirmed` }) });
        counts.reconfirmedOrders++;
      }
    });
    for (let p = 0; p < poisonPerChunk; p++) {
      // A real member's id (an anonymous event's next member event, else the chunk's first).
      const from = rng.int(order.length);
      const named = order.slice(from).find((e) => e.memberId) ?? order.find((e) => e.memberId);
      const record = poison(named?.memberId ?? 'chaos-poison-member');
      inserts.push({ at: rng.int(order.length + 1), record });
      counts.poison++;
      counts.poisonByReason[record.poison!] = (counts.poisonByReason[record.poison!] ?? 0) + 1;
    }
    inserts.sort((a, b) => b.at - a.at);
    for (const ins of inserts) records.splice(Math.min(ins.at, records.length), 0, ins.record);
    for (const r of records) arrive(r);
    steps.push({ kind: 'records', label: `chunk ${ci + 1}/${chunks.length}`, records });

    if (replayEvery > 0 && ci % every === every - 1) {
      // The chunk's file again, as it was sent; lines gone out of their member's window are left out.
      const replay: SendRecord[] = [];
      for (const r of records) {
        if (r.event && age(r.event) > REPEAT_WINDOW) {
          counts.replayLeftOut++;
          continue;
        }
        replay.push(r);
        if (r.poison) {
          counts.poison++;
          counts.poisonByReason[r.poison] = (counts.poisonByReason[r.poison] ?? 0) + 1;
        }
      }
      for (const r of replay) arrive(r);
      counts.replays++;
      counts.replayedRecords += replay.length;
      steps.push({ kind: 'records', label: `replay of chunk ${ci + 1}`, records: replay });
    }
    if (ci === kinesisAt) {
      steps.push({ kind: 'restart', service: 'kinesis' });
      counts.restarts++;
    }
    if (ci === dynamoAt) {
      steps.push({ kind: 'restart', service: 'dynamodb' });
      counts.restarts++;
    }
  });
  return { steps, counts, poisonOnlyMembers: [...poisonOnly] };
}
