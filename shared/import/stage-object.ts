// History import in AWS, step 1 (one input object, an item of ImportStateMachine's Distributed
// Map): its bad lines quarantined with `key:line` as `npm run import` does, its valid lines staged
// as one chunk per programme day (staging.ts). Idempotent: a retried item writes the same chunks
// under the same keys and the same quarantine items.
import { stageLines } from './staging';
import type { StagePorts } from './ports';

export interface StageRequest {
  key: string;
  importId: string;
  /** The import's clock (the execution's start): later lines are future events, as on the stream. */
  arrivedAt: number;
  timezone: string;
}

export interface StageResult {
  key: string;
  events: number;
  quarantined: number;
  days: number;
}

/** Quarantine items per write. */
const QUARANTINE_BATCH = 100;

export async function stageObject(request: StageRequest, ports: StagePorts): Promise<StageResult> {
  const { key, importId, arrivedAt, timezone } = request;
  const text = await ports.staging.readInput(key);
  const staged = stageLines(key, text.split(/\r?\n/), { nowMs: arrivedAt, timezone });
  const receivedAt = new Date(arrivedAt).toISOString();
  for (let i = 0; i < staged.bad.length; i += QUARANTINE_BATCH) {
    await ports.quarantine.putAll(
      staged.bad.slice(i, i + QUARANTINE_BATCH).map((b) => ({
        receivedAt,
        reason: b.reason,
        detail: `${key}:${b.n}: ${b.detail}`,
        raw: b.raw,
        eventId: b.eventId,
        memberId: b.memberId,
        shardId: `import-${importId}`,
        seq: `${key}:${b.n}`,
      })),
    );
  }
  for (const [day, lines] of staged.days) await ports.staging.writeChunk(importId, day, key, lines);
  return { key, events: staged.events, quarantined: staged.bad.length, days: staged.days.size };
}
