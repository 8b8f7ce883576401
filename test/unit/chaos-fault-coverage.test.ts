// The chaos run's fault schedule reaches every fault kind by construction, not by chance: a short run
// (the aggregated chaos case has ~40 invocations) once missed `member_write_throttled`, because each
// kind was planned at random and a planned fault fires only if its invocation gets that far.
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FaultController, INVOCATION_FAULTS, TILL_FAULTS } from '../../harness/chaos/faults';

const MEMBERS = 'members';

function eventOn(shardId: string, seq: number): KinesisStreamEvent {
  return { Records: [{ eventID: `${shardId}:${seq}` }] } as unknown as KinesisStreamEvent;
}

/** A handler's DynamoDB calls through the controller's outer middleware (the service always answers). */
function caller(controller: FaultController) {
  const outer = controller.outer();
  return (commandName: string, input: Record<string, unknown>) => outer(async () => ({ output: {} }), { commandName })({ input });
}

/**
 * One invocation shaped like process-events: a read, quarantine/counter writes, and (when the batch
 * names members) one member transaction per member. Any error fails the batch, as the handler's
 * member errors do.
 */
async function invocation(controller: FaultController, shardId: string, seq: number, members: number): Promise<void> {
  const call = caller(controller);
  const run = async (): Promise<KinesisStreamBatchResponse> => {
    try {
      await call('BatchGetCommand', { RequestItems: { [MEMBERS]: {} } });
      await call('PutCommand', { TableName: 'quarantine' });
      for (let m = 0; m < members; m++) await call('TransactWriteCommand', { TransactItems: [{ Put: { TableName: MEMBERS } }] });
      await call('UpdateCommand', { TableName: 'metrics' });
      return { batchItemFailures: [] };
    } catch {
      return { batchItemFailures: [{ itemIdentifier: String(seq) }] };
    }
  };
  await controller.invoke(eventOn(shardId, seq), run).catch(() => undefined); // a ChaosCrash: the batch failed
}

const missing = (controller: FaultController) => INVOCATION_FAULTS.filter((k) => controller.counts[k] === 0);

describe('the chaos fault schedule', () => {
  it('fires every invocation fault kind within the first 9 invocations of one shard, for any seed', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const controller = new FaultController(seed, MEMBERS, { invocation: 0.5, sdkThrottle: 0, sdkTimeoutAfterCommit: 0, till: 0 });
      controller.enabled = true;
      // Two faulted failures in a row, then a clean invocation (the progress rule): 6 kinds in 9.
      for (let i = 1; i <= 9; i++) await invocation(controller, 'shardId-000000000000', i, 3);
      expect(missing(controller), `seed ${seed}`).toEqual([]);
      expect(
        INVOCATION_FAULTS.map((k) => controller.counts[k]),
        `seed ${seed}: each once`,
      ).toEqual(INVOCATION_FAULTS.map(() => 1));
    }
  });

  it('waits for an invocation that writes a member for the member-write kinds (batches of poison only do not use them up)', async () => {
    const controller = new FaultController(7, MEMBERS, { invocation: 0.5, sdkThrottle: 0, sdkTimeoutAfterCommit: 0, till: 0 });
    controller.enabled = true;
    // Nine invocations that never write a member: the call- and write-level kinds fire, the others wait.
    for (let i = 1; i <= 9; i++) await invocation(controller, 'shardId-000000000001', i, 0);
    expect(missing(controller)).toEqual(['crash_after_member_writes', 'member_write_throttled']);
    for (let i = 10; i <= 15; i++) await invocation(controller, 'shardId-000000000001', i, 2);
    expect(missing(controller)).toEqual([]);
  });

  it('never faults a shard three times in a row (coverage does not override progress)', async () => {
    const controller = new FaultController(3, MEMBERS, { invocation: 1, sdkThrottle: 0, sdkTimeoutAfterCommit: 0, till: 0 });
    controller.enabled = true;
    const totals: number[] = [];
    for (let i = 1; i <= 30; i++) {
      await invocation(controller, 'shardId-000000000002', i, 2);
      totals.push(INVOCATION_FAULTS.reduce((n, k) => n + controller.counts[k], 0));
    }
    const faulted = totals.map((t, i) => t > (totals[i - 1] ?? 0));
    for (let i = 2; i < faulted.length; i++)
      expect(faulted[i - 2] && faulted[i - 1] && faulted[i], `invocations ${i - 1}…${i + 1}`).toBe(false);
  });

  it('gives the till each of its faults on its first coin member writes', async () => {
    const controller = new FaultController(11, MEMBERS, { invocation: 0, sdkThrottle: 0, sdkTimeoutAfterCommit: 0, till: 0.01 });
    controller.enabled = true;
    const call = caller(controller);
    for (let i = 0; i < TILL_FAULTS.length; i++) {
      await controller.invokeTill(() => call('PutCommand', { TableName: MEMBERS, Item: {} })).catch(() => undefined);
    }
    expect(TILL_FAULTS.map((k) => controller.counts[k])).toEqual(TILL_FAULTS.map(() => 1));
  });
});
