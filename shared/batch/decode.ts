// The decode step of a batch: each record's bytes → events grouped by member, or quarantine
// verdicts. A KPL aggregated record is unpacked (checksum verified) into sub-records, each at its
// own position `<seq>.<index>`; a corrupt one is quarantined whole (`corrupt_aggregate`). A
// sub-record whose member belongs to another shard is not applied here — a shard is its members'
// only writer — but forwarded to the events stream under the member's key (or, with nowhere to
// forward it, quarantined as `misrouted_record`).
import { COMMAND_TYPES, decodeRecord, RAW_KEEP_BYTES, type JobCommand, type QuarantineReason } from '../events/events';
import type { CommandSigner } from '../jobs/command-signature';
import type { IncomingRecord } from '../member/state';
import type { EraseRecord } from '../privacy/erasure';
import type { TillSettle } from '../coins/settle';
import { CorruptAggregateError, decodeAggregate, hashKeyOf, isAggregated } from '../stream/kpl-aggregate';
import { subRecordSeq } from '../stream/position';
import { ownerKeyOf, partitionKeyFor } from '../identity/keys';

export interface StreamRecord {
  shardId: string;
  seq: string;
  data: Uint8Array;
  /** Arrival time at the stream, epoch ms. */
  arrivedAt: number;
}

export interface QuarantineItem {
  receivedAt: string;
  reason: QuarantineReason;
  detail: string;
  eventId?: string;
  memberId?: string;
  raw: string;
  shardId: string;
  seq: string;
}

/** The hash key range of a shard (from ListShards), to tell which members a shard owns. */
export interface ShardRangePort {
  rangeOf(shardId: string): Promise<{ start: bigint; end: bigint } | undefined>;
}

/** Puts records back on the events stream, where Kinesis routes them by partition key. */
export interface ForwardPort {
  put(records: readonly ForwardedRecord[]): Promise<void>;
}

export interface ForwardedRecord {
  partitionKey: string;
  data: Uint8Array;
}

export interface DecodedBatch {
  byMember: Map<string, IncomingRecord[]>;
  /** Erase commands by member (docs/api.md#privacy-erasure-and-subject-access), planned apart from the member's events. */
  erases: Map<string, EraseRecord[]>;
  quarantine: QuarantineItem[];
  /** The api's coins_settle records (shared/coins/settle.ts): counted apart from the member's events. */
  settles: TillSettle[];
  forward: ForwardedRecord[];
  /** First and last positions of the batch (sub-record positions inside aggregates). */
  first: string;
  last: string;
  /** User records seen (an aggregate counts its sub-records). */
  userRecords: number;
}

export interface DecodeOptions {
  shards?: ShardRangePort;
  /** Without it, a sub-record of another shard is quarantined instead of forwarded. */
  canForward: boolean;
  /** Verifies the jobs' signature on commands; without it every command is forged. */
  commands?: Pick<CommandSigner, 'verify'>;
}

const JOB_COMMANDS: ReadonlySet<string> = new Set(COMMAND_TYPES);
/**
 * Identity commands the consumer puts for another owner (a link, a forwarded event): signed like
 * the jobs' commands, so a producer cannot link an id or forward an event to a member.
 */
const SIGNED_IDENTITY_COMMANDS: ReadonlySet<string> = new Set(['identity_link', 'identity_forward']);

/** Why a decoded job command is not the daily jobs' own, or undefined when it is. */
function forgery(command: JobCommand, verifier: DecodeOptions['commands']): string | undefined {
  const sig = (command as JobCommand & { sig?: string }).sig;
  const from = SIGNED_IDENTITY_COMMANDS.has(command.type) ? "memberflow's events consumer" : "memberflow's daily jobs";
  if (sig === undefined) return `sig: missing: ${command.type} is accepted only from ${from}, signed`;
  const whose = SIGNED_IDENTITY_COMMANDS.has(command.type) ? "the events consumer's" : "the daily jobs'";
  if (!verifier?.verify(command)) return `sig: not ${whose} signature of this ${command.type} command`;
  return undefined;
}

function preview(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes.subarray(0, RAW_KEEP_BYTES));
}

function memberKey(event: { type?: unknown; memberId?: unknown; anonymousId?: unknown }): string {
  // docs/events.md#behaviour-events: the partition key is memberId, else anonymousId.
  return partitionKeyFor(event) ?? '';
}

export async function decodeBatch(records: readonly StreamRecord[], opts: DecodeOptions): Promise<DecodedBatch> {
  const out: DecodedBatch = {
    byMember: new Map(),
    erases: new Map(),
    quarantine: [],
    settles: [],
    forward: [],
    first: records[0].seq,
    last: records[records.length - 1].seq,
    userRecords: 0,
  };
  let range: { start: bigint; end: bigint } | undefined | null = null;
  const ownRange = async (shardId: string) => (range === null ? (range = await opts.shards?.rangeOf(shardId)) : range);

  const quarantine = (record: StreamRecord, seq: string, verdict: Omit<QuarantineItem, 'receivedAt' | 'shardId' | 'seq'>) =>
    out.quarantine.push({ ...verdict, receivedAt: new Date(record.arrivedAt).toISOString(), shardId: record.shardId, seq });

  const accept = (record: StreamRecord, seq: string, decoded: ReturnType<typeof decodeRecord>) => {
    out.userRecords++;
    if (!decoded.ok) {
      const { ok: _ok, ...verdict } = decoded;
      quarantine(record, seq, verdict);
      return;
    }
    if (JOB_COMMANDS.has(decoded.event.type) || SIGNED_IDENTITY_COMMANDS.has(decoded.event.type)) {
      const detail = forgery(decoded.event as JobCommand, opts.commands);
      if (detail) {
        quarantine(record, seq, {
          reason: 'forged_command',
          detail,
          eventId: decoded.event.eventId,
          memberId: decoded.event.memberId,
          raw: decoded.raw,
        });
        return;
      }
    }
    if (decoded.event.type === 'erase_member') {
      const entry: EraseRecord = { position: { shardId: record.shardId, seq }, command: decoded.event, arrivedAt: record.arrivedAt };
      const list = out.erases.get(decoded.event.memberId);
      if (list) list.push(entry);
      else out.erases.set(decoded.event.memberId, [entry]);
      return;
    }
    if (decoded.event.type === 'coins_settle') {
      out.settles.push({ memberId: decoded.event.memberId, op: decoded.event.op, seq });
      return;
    }
    // "In the future" means after the record reached the stream, whenever it is processed.
    const incoming: IncomingRecord = {
      position: { shardId: record.shardId, seq },
      event: decoded.event,
      at: decoded.at,
      arrivedAt: record.arrivedAt,
      raw: decoded.raw,
    };
    const key = ownerKeyOf(decoded.event)!;
    const list = out.byMember.get(key);
    if (list) list.push(incoming);
    else out.byMember.set(key, [incoming]);
  };

  for (const [i, record] of records.entries()) {
    if (!isAggregated(record.data)) {
      accept(record, record.seq, decodeRecord(record.data, record.arrivedAt));
      continue;
    }
    let subs;
    try {
      subs = decodeAggregate(record.data);
    } catch (error) {
      if (!(error instanceof CorruptAggregateError)) throw error;
      out.userRecords++;
      quarantine(record, record.seq, { reason: 'corrupt_aggregate', detail: error.message, raw: preview(record.data) });
      continue;
    }
    const own = await ownRange(record.shardId);
    for (const [index, sub] of subs.entries()) {
      const seq = subRecordSeq(record.seq, index);
      if (i === 0 && index === 0) out.first = seq;
      if (i === records.length - 1) out.last = seq;
      const decoded = decodeRecord(sub.data, record.arrivedAt);
      const elsewhere = own && decoded.ok ? foreignKey(decoded.event, own) : undefined;
      if (elsewhere === undefined) {
        accept(record, seq, decoded);
        continue;
      }
      out.userRecords++;
      if (opts.canForward) out.forward.push({ partitionKey: elsewhere, data: sub.data });
      else
        quarantine(record, seq, {
          reason: 'misrouted_record',
          detail: `the member's partition key ${elsewhere} hashes to another shard than ${record.shardId}`,
          raw: preview(sub.data),
        });
    }
  }
  return out;
}

/** The member key of an event when it hashes outside this shard's range; else undefined. */
function foreignKey(
  event: { type?: unknown; memberId?: unknown; anonymousId?: unknown },
  own: { start: bigint; end: bigint },
): string | undefined {
  const key = memberKey(event);
  if (!key) return undefined;
  const hash = hashKeyOf(key);
  return hash >= own.start && hash <= own.end ? undefined : key;
}
