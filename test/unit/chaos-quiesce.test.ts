// The chaos run's kinesis-mock restart holds the consumer from before the snapshot it restarts from
// until the kill (harness/chaos/services.ts): kinesis-mock forgets every put after its last snapshot,
// Kinesis never forgets an acknowledged one. Without the hold, a consumer's put in that window —
// an upgrade of m00268 in #19 item 7 — was acknowledged and then gone; so was a till's settle record.
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FaultController } from '../../harness/chaos/faults';

const event = { Records: [{ eventID: 'shardId-000000000000:1' }] } as unknown as KinesisStreamEvent;
const ok: KinesisStreamBatchResponse = { batchItemFailures: [] };

describe('holding the chaos consumer', () => {
  it('waits for the running invocation, and starts none until released', async () => {
    const controller = new FaultController(1, 'members');
    const log: string[] = [];
    let finishRunning!: () => void;
    const running = controller.invoke(event, async () => {
      log.push('running started');
      await new Promise<void>((resolve) => (finishRunning = resolve));
      log.push('running put its actions');
      return ok;
    });
    await Promise.resolve();
    const holding = controller.hold().then((release) => (log.push('held: snapshot, kill'), release));
    const later = controller.invoke(event, async () => (log.push('later started'), ok));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(['running started']);
    finishRunning();
    const release = await holding;
    await running;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(['running started', 'running put its actions', 'held: snapshot, kill']);
    release();
    await later;
    expect(log).toEqual(['running started', 'running put its actions', 'held: snapshot, kill', 'later started']);
  });

  it('holds at once when nothing runs', async () => {
    const controller = new FaultController(1, 'members');
    const release = await controller.hold();
    let started = false;
    const later = controller.invoke(event, async () => ((started = true), ok));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(started).toBe(false);
    release();
    await later;
    expect(started).toBe(true);
  });

  it('holds the till too: its coins_settle records would be forgotten the same way (seed 22)', async () => {
    const controller = new FaultController(1, 'members');
    const log: string[] = [];
    let finishRunning!: () => void;
    const running = controller.invokeTill(async () => {
      log.push('till request started');
      await new Promise<void>((resolve) => (finishRunning = resolve));
      log.push('till put its settle record');
    });
    await Promise.resolve();
    const holding = controller.hold().then((release) => (log.push('held: snapshot, kill'), release));
    const later = controller.invokeTill(async () => {
      log.push('later till request started');
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(['till request started']);
    finishRunning();
    const release = await holding;
    await running;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(['till request started', 'till put its settle record', 'held: snapshot, kill']);
    release();
    await later;
    expect(log.at(-1)).toBe('later till request started');
  });
});
