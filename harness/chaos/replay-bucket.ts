// The runbook's replay (README, Runbook), as the chaos run does it: whatever reached the on-failure
// destination, in stream order, each record once; then the bucket again, because a replayed batch
// may be given up too (the faults are still on) and its records come back as new objects, replayed
// in the next round — until a round leaves nothing new.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { s3Client } from '../../infra/local/engine/aws';
import { type FailedRecord, inStreamOrder, readFailedBatches } from '../../infra/local/engine/failed-batches';
import type { LocalStack } from '../../infra/local/engine/stack';
import type { SendRecord } from './plan';
import { originOf, placeKey } from './replay-order';
import { sendRecords } from './stream-io';

/** Rounds before the run gives up (each round only what the last one gave up). */
const MAX_REPLAY_ROUNDS = 5;

export class BucketReplay {
  /** The records of each round, at the places they were given up from. */
  readonly rounds: FailedRecord[][] = [];
  /** Where each replayed record landed (`shardId/seq`) → its first place (before any replay). */
  readonly replayedFrom = new Map<string, string>();
  /** Records replayed, all rounds. */
  records = 0;
  private readonly replayedKeys = new Set<string>();

  constructor(
    private readonly stack: LocalStack,
    private readonly kinesis: KinesisClient,
    private readonly stream: string,
    private readonly log: (msg: string) => void,
  ) {}

  /** Replays the objects not replayed yet, round after round, draining the consumer after each. */
  async run(): Promise<void> {
    for (;;) {
      const failed = await this.newRecords();
      if (!failed.length) return;
      if (this.rounds.length >= MAX_REPLAY_ROUNDS)
        throw new Error(`still records in the on-failure destination after ${this.rounds.length} replays`);
      this.rounds.push(failed);
      const places = await sendRecords(
        this.kinesis,
        this.stream,
        failed.map((r): SendRecord => ({ data: r.data, memberId: r.partitionKey })),
      );
      places.forEach((place, i) => this.replayedFrom.set(place, this.origin(placeKey(failed[i].shardId, failed[i].sequenceNumber))));
      this.records += failed.length;
      this.log(`replay ${this.rounds.length}: ${failed.length} records from the on-failure destination`);
      await this.stack.drain({ timeoutMs: 900_000 });
    }
  }

  /** A place's first place, before any replay. */
  origin(place: string): string {
    return originOf(this.replayedFrom, place);
  }

  private async newRecords(): Promise<FailedRecord[]> {
    const s3 = s3Client(this.stack.endpoints);
    try {
      const objects = (await readFailedBatches(s3, this.stack.names.buckets.FailedBatchesBucket)).filter(
        (o) => !this.replayedKeys.has(o.key),
      );
      for (const o of objects) this.replayedKeys.add(o.key);
      return inStreamOrder(objects);
    } finally {
      s3.destroy();
    }
  }
}
