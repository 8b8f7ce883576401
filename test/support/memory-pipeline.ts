// Drives processBatch over in-memory ports the way Lambda drives it: per shard, batches in
// sequence order, a failed batch retried from the lowest reported sequence number.
import { dayNumber } from '../../shared/days/days';
import type { MemberState } from '../../shared/member/state';
import {
  MemoryActions,
  MemoryHints,
  MemoryLedger,
  MemoryMembers,
  MemoryMergeRequests,
  MemoryMetrics,
  MemoryQuarantine,
  MemorySegments,
} from './memory-ports';
import { memberMergeCommand } from '../../shared/identity/commands';
import { channelRetention, customersOn, dailyRow, cohortRow, sessionsRow, type DayCounters } from '../../shared/metrics/read';
import { dayKey } from '../../shared/keys/metrics-keys';
import { processBatch, type BatchPorts, type StreamRecord } from '../../shared/batch/process-batch';
import { defaultProgram } from '../../shared/programme/load';
import { type Program } from '../../shared/programme/vocabulary';
import { commandSigner } from '../../shared/jobs/command-signature';
import type { JobCommand } from '../../shared/events/events';

/** The command key of the in-memory pipelines (the local stack and AWS have their own). */
export const TEST_COMMAND_KEY = 'test-command-key-0123456789abcdef0123456789abcdef';

export class MemoryPipeline {
  readonly ledger = new MemoryLedger();
  readonly members = new MemoryMembers(this.ledger);
  readonly quarantine = new MemoryQuarantine();
  readonly metrics = new MemoryMetrics();
  readonly actions = new MemoryActions();
  readonly segments = new MemorySegments();
  readonly hints = new MemoryHints();
  readonly merges = new MemoryMergeRequests();
  /** The jobs' command key of this pipeline: `command()` signs with it, the batch code verifies it. */
  readonly signer = commandSigner(TEST_COMMAND_KEY);
  private seq = 0;
  retries = 0;

  constructor(
    readonly program: Program = defaultProgram(),
    /** The stream's clock: each record arrives at `now()` (the batch path reads no other clock). */
    readonly now: () => number = () => Date.parse('2027-06-01T00:00:00Z'),
  ) {}

  ports(overrides: Partial<BatchPorts> = {}): BatchPorts {
    return {
      // A test's own ledger is the one the member writes mark claims on.
      members: overrides.ledger instanceof MemoryLedger ? this.members.withLedger(overrides.ledger) : this.members,
      ledger: this.ledger,
      quarantine: this.quarantine,
      metrics: this.metrics,
      actions: this.actions,
      segments: this.segments,
      hints: this.hints,
      program: this.program,
      commands: this.signer,
      merges: this.merges,
      ...overrides,
    };
  }

  /** A job command as the daily jobs put it on the stream: signed, as one JSON line. */
  command(command: JobCommand): string {
    return JSON.stringify(this.signer.sign(command));
  }

  /**
   * An operator merge as the api makes it: the request stored, then the command (one JSON line, to
   * be put on the stream under the member merged away).
   */
  merge(into: string, from: string, mergeId: string, occurredAt = new Date(this.now()).toISOString()): string {
    this.merges.items.set(from, { mergeId, into, from, requestedAt: occurredAt, requestedBy: 'test' });
    return JSON.stringify(memberMergeCommand({ mergeId, into, from, occurredAt }));
  }

  /** Appends lines to a shard as new records (as a producer's PutRecords does). */
  records(lines: readonly string[], shardId = 'shardId-000000000000'): StreamRecord[] {
    const encoder = new TextEncoder();
    return lines.map((line) => ({ shardId, seq: String(++this.seq).padStart(20, '0'), data: encoder.encode(line), arrivedAt: this.now() }));
  }

  /** Delivers records in batches of `batchSize`, retrying failed batches from the reported record. */
  async deliver(records: readonly StreamRecord[], batchSize = 100, overrides: Partial<BatchPorts> = {}): Promise<void> {
    let at = 0;
    while (at < records.length) {
      const batch = records.slice(at, at + batchSize);
      let failedSeq: string | undefined;
      try {
        const result = await processBatch(batch, this.ports(overrides));
        failedSeq = result.failedSeqs[0];
      } catch {
        failedSeq = batch[0].seq;
      }
      if (failedSeq === undefined) {
        at += batch.length;
      } else {
        this.retries++;
        if (this.retries > 10_000) throw new Error('too many retries');
        at = records.findIndex((r) => r.seq === failedSeq);
      }
    }
  }

  member(memberId: string): MemberState | undefined {
    return this.members.items.get(memberId);
  }

  /**
   * The day items as one read sees them, each summed once: a read of many days asks for the same
   * day again and again (30 times for a MAU window), and summing an item's hundreds of range
   * cells each time made the reads cost more than the pipeline runs they check.
   */
  private counters(): DayCounters {
    const summed = new Map<number, Map<string, number>>();
    return (day) => {
      let total = summed.get(day);
      if (!total) summed.set(day, (total = this.metrics.sum(dayKey(day))));
      return total;
    };
  }

  daily(from: string, to: string) {
    const counters = this.counters();
    const rows = [];
    for (let d = dayNumber(from); d <= dayNumber(to); d++) rows.push(dailyRow(counters, d));
    return rows;
  }

  /** `customers` and `kpis.memberShareOfCustomers` of /metrics/program as of the day. */
  customers(asOf: string) {
    return customersOn(this.counters(), dayNumber(asOf));
  }

  retention(from: string, to: string) {
    const counters = this.counters();
    const rows = [];
    for (let d = dayNumber(from); d <= dayNumber(to); d++) rows.push(cohortRow(counters, d));
    return rows;
  }

  /** `/metrics/retention-by-channel` in the oracle's shape (harness/oracle/activity-oracle.ts). */
  retentionByChannel(from: string, to: string) {
    return channelRetention(this.counters(), dayNumber(from), dayNumber(to)).map(({ channel, size, d1, d7, d30 }) => ({
      channel,
      size,
      d1,
      d7,
      d30,
    }));
  }

  sessions(from: string, to: string) {
    const counters = this.counters();
    const rows = [];
    for (let d = dayNumber(from); d <= dayNumber(to); d++) rows.push(sessionsRow(counters, d));
    return rows;
  }
}
