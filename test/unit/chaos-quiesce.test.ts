// The chaos run's kinesis-mock restart holds the consumer from before the snapshot it restarts from
// until the kill (harness/chaos/services.ts): kinesis-mock forgets every put after its last snapshot,
// Kinesis never forgets an acknowledged one. Without the hold, a consumer's put in that window —
// an upgrade of m00268 in #19 item 7 — was acknowledged and then gone; so was a till's settle record.
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FaultController } from '../../harness/chaos/faults';

const event = { Records: [{ eventID: 'shardId-000000000000:1' }] } as unknown as KinesisStreamEvent;
const ok: KinesisStreamBatchResponse = { batchItemFailures: [] };

type Run = (controller: FaultController, work: () => Promise<void>) => Promise<unknown>;
const consumer: Run = (controller, work) => controller.invoke(event, async () => (await work(), ok));
const till: Run = (controller, work) => controller.invokeTill(work);

/**
 * A hold waits for the request running when it is asked for (which finishes its puts), and the
 * hold's snapshot and kill come before any request started after it.
 */
async function expectHeldAround(run: Run, what: string): Promise<void> {
  const controller = new FaultController(1, 'members');
  const log: string[] = [];
  let finishRunning!: () => void;
  const running = run(controller, async () => {
    log.push(`running ${what} started`);
    await new Promise<void>((resolve) => (finishRunning = resolve));
    log.push(`running ${what} put its records`);
  });
  await Promise.resolve();
  const holding = controller.hold().then((release) => (log.push('held: snapshot, kill'), release));
  const later = run(controller, async () => {
    log.push(`later ${what} started`);
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(log).toEqual([`running ${what} started`]);
  finishRunning();
  const release = await holding;
  await running;
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(log).toEqual([`running ${what} started`, `running ${what} put its records`, 'held: snapshot, kill']);
  release();
  await later;
  expect(log).toEqual([`running ${what} started`, `running ${what} put its records`, 'held: snapshot, kill', `later ${what} started`]);
}

describe('holding the chaos consumer', () => {
  it('waits for the running invocation, and starts none until released', async () => {
    await expectHeldAround(consumer, 'invocation');
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
    await expectHeldAround(till, 'till request');
  });
});
