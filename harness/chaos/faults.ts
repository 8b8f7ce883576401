// Fault injection for the events consumer, in the same process as the local stack:
//  - a DynamoDB document client whose middleware throws ThrottlingException,
//    ProvisionedThroughputExceededException and TimeoutError (before a request is sent, or after
//    it was sent and committed — an ambiguous write), either above the SDK's retry middleware (the
//    error reaches the handler, which fails the batch or reports the member's records) or below it
//    (the SDK retries it, as it would in AWS);
//  - a "crash": after k member items of a batch were written, every further call of that
//    invocation fails and the handler throws — the process died mid-batch;
// all only inside process-events invocations (an AsyncLocalStorage context set by the wrapper
// handler harness/chaos/chaos-process-events.ts), never for the harness's own reads. The API's
// coin writes at the till (redemptions, reversals) get their own faults (harness/chaos/chaos-api.ts):
// its member write (the operation's one decision) timing out after it committed — before its
// ledger record and counters were stored — and one throttled before it was sent; the till
// retries with the same redemptionId and must get the same answer, never a second spend.
//
// Progress is guaranteed: an invocation gets at most one planned fault, and a shard whose last
// two invocations failed with an injected fault gets a clean one next, so no batch can exhaust
// the mapping's 5 retries on injected faults alone (every retry of a batch follows a failure).
//
// Coverage is guaranteed too, not left to chance: while some invocation fault kind has not fired
// yet, every invocation the progress rule allows gets a "coverage" plan, which fires the first
// missing kind whose trigger the invocation reaches (any call: throttling, provisioned throughput,
// timeout before send; a write: timeout after commit; a member write: member write throttled,
// then a crash right after it). So a run fires every kind within its first few invocations that
// write a member, whatever the batch timing (a short aggregated run has only ~40 invocations).
import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../infra/local/engine/aws';
import { decodePosition } from '../../functions/adapters/member-item-lists';
import { Rng } from '../../simulator/rng';

/** Faults injected into process-events invocations (the harness adds the stream-level ones). */
export const INVOCATION_FAULTS = [
  'crash_after_member_writes',
  'throttling_surfaced',
  'provisioned_throughput_surfaced',
  'timeout_before_send_surfaced',
  'timeout_after_commit_surfaced',
  'member_write_throttled',
] as const;
export const SDK_RETRIED_FAULTS = ['throttling_sdk_retried', 'timeout_after_commit_sdk_retried'] as const;
/** Faults of the API's coin member writes (the till's redemptions and reversals). */
export const TILL_FAULTS = ['till_timeout_after_commit', 'till_throttled'] as const;
export type InvocationFault = (typeof INVOCATION_FAULTS)[number];
export type SdkRetriedFault = (typeof SDK_RETRIED_FAULTS)[number];
export type TillFault = (typeof TILL_FAULTS)[number];
export type HandlerFault = InvocationFault | SdkRetriedFault | TillFault;

export interface FaultRates {
  /** Share of invocations that get one planned fault (spread evenly over INVOCATION_FAULTS). */
  invocation: number;
  /** Per DynamoDB request attempt, below the SDK's retry middleware. */
  sdkThrottle: number;
  sdkTimeoutAfterCommit: number;
  /** Share of the till's coin requests that get one fault (spread evenly over TILL_FAULTS). */
  till: number;
}

export const DEFAULT_RATES: FaultRates = { invocation: 0.25, sdkThrottle: 0.004, sdkTimeoutAfterCommit: 0.004, till: 0.2 };

interface Plan {
  /** 'coverage': the first not-yet-injected invocation fault this invocation reaches the trigger of. */
  kind: InvocationFault | TillFault | 'coverage';
  /** 1-based: the n-th DynamoDB call (or write, for after-commit) / member write it hits. */
  at: number;
  done: boolean;
}

interface Invocation {
  shardId: string;
  /** The first record of the invocation's batch (none for the till). */
  firstSeq?: string;
  plan: Plan | null;
  calls: number;
  writes: number;
  memberWrites: number;
  crashed: boolean;
  injected: HandlerFault[];
}

const WRITE_COMMANDS = new Set([
  'PutItemCommand',
  'PutCommand',
  'UpdateItemCommand',
  'UpdateCommand',
  'DeleteItemCommand',
  'DeleteCommand',
  'BatchWriteItemCommand',
  'BatchWriteCommand',
  'TransactWriteItemsCommand',
  'TransactWriteCommand',
]);
const MAX_CONSECUTIVE_FAULTED = 2;

function sdkError(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  const error = new Error(`chaos: ${message}`);
  return Object.assign(error, { name, $fault: 'client', $metadata: { httpStatusCode: 400 }, ...extra });
}

export class ChaosCrash extends Error {
  override name = 'ChaosCrash';
}

/** A member write of process-events that DynamoDB committed, as the run's oracles need it. */
export interface CommittedMemberWrite {
  memberId: string;
  /** The member's high-water mark the write set: its last record applied. */
  shardId: string;
  seq: string;
  /** The first record of the batch the write belonged to. */
  batchFirst: string;
}

export class FaultController {
  /** Injection on/off (off for verification and while a service restarts). */
  enabled = false;
  /**
   * Every committed member write of process-events, faults on or off: which records of a batch
   * given up (the failed-batches bucket) an attempt had applied before the runbook's replay.
   */
  readonly committedMemberWrites: CommittedMemberWrite[] = [];
  paused = false;
  readonly counts: Record<HandlerFault, number> = Object.fromEntries(
    [...INVOCATION_FAULTS, ...SDK_RETRIED_FAULTS, ...TILL_FAULTS].map((k) => [k, 0]),
  ) as Record<HandlerFault, number>;
  readonly als = new AsyncLocalStorage<Invocation>();
  private readonly rng: Rng;
  private readonly consecutive = new Map<string, number>();
  private nextKind = 0;

  constructor(
    seed: number,
    readonly membersTable: string,
    readonly rates: FaultRates = DEFAULT_RATES,
  ) {
    this.rng = new Rng(seed);
  }

  private active(): Invocation | undefined {
    if (!this.enabled || this.paused) return undefined;
    return this.als.getStore();
  }

  private planFor(shardId: string): Plan | null {
    if (!this.enabled || this.paused) return null;
    if ((this.consecutive.get(shardId) ?? 0) >= MAX_CONSECUTIVE_FAULTED) return null;
    if (INVOCATION_FAULTS.some((k) => this.counts[k] === 0)) return { kind: 'coverage', at: 1, done: false };
    if (this.rng.next() >= this.rates.invocation) return null;
    // The kind injected least so far (a planned fault fires only if the invocation gets that far),
    // so a short run still injects each of them; ties in turn.
    const least = Math.min(...INVOCATION_FAULTS.map((k) => this.counts[k]));
    const candidates = INVOCATION_FAULTS.filter((k) => this.counts[k] === least);
    const kind = candidates[this.nextKind++ % candidates.length];
    const at =
      kind === 'crash_after_member_writes' || kind === 'member_write_throttled' || kind === 'timeout_after_commit_surfaced'
        ? 1 + this.rng.int(3)
        : 1 + this.rng.int(12);
    return { kind, at, done: false };
  }

  private inFlight = 0;
  private held: Promise<void> | null = null;
  private readonly whenIdle: (() => void)[] = [];

  /**
   * Holds the consumer and the till: invocations and till requests that start from now on wait,
   * and this resolves once the running ones finished, to the function that lets them go. The
   * kinesis-mock restart holds them from before the snapshot it restarts from until the kill:
   * Kinesis never forgets a put it acknowledged, but kinesis-mock forgets every put after its last
   * snapshot — without the hold, actions and identity commands the consumer put in between were
   * lost (#19 item 7: an m00268 upgrade), and so were the till's coins_settle records (a reversal
   * answered and never counted: chaos seed 22 with grown retries).
   */
  async hold(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    this.held = held;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.whenIdle.push(resolve));
    return () => {
      if (this.held === held) this.held = null;
      release();
    };
  }

  /** Runs one process-events invocation under fault injection. */
  async invoke(event: KinesisStreamEvent, run: () => Promise<KinesisStreamBatchResponse>): Promise<KinesisStreamBatchResponse> {
    while (this.held) await this.held;
    this.inFlight++;
    try {
      return await this.invokeFaulty(event, run);
    } finally {
      if (--this.inFlight === 0) for (const resolve of this.whenIdle.splice(0)) resolve();
    }
  }

  private async invokeFaulty(
    event: KinesisStreamEvent,
    run: () => Promise<KinesisStreamBatchResponse>,
  ): Promise<KinesisStreamBatchResponse> {
    const shardId = event.Records[0]?.eventID.split(':')[0] ?? 'none';
    const inv: Invocation = {
      shardId,
      firstSeq: event.Records[0]?.kinesis?.sequenceNumber,
      plan: this.planFor(shardId),
      calls: 0,
      writes: 0,
      memberWrites: 0,
      crashed: false,
      injected: [],
    };
    let failed = true;
    try {
      const result = await this.als.run(inv, run);
      if (inv.crashed) throw new ChaosCrash(`chaos: process-events crashed after ${inv.memberWrites} member writes`);
      failed = result.batchItemFailures.length > 0;
      return result;
    } finally {
      const injectedHere = inv.injected.some((k) => (INVOCATION_FAULTS as readonly string[]).includes(k));
      this.consecutive.set(shardId, failed && injectedHere ? (this.consecutive.get(shardId) ?? 0) + 1 : 0);
    }
  }

  /** Runs one API coin request under fault injection: at most one till fault, on its member write. */
  async invokeTill<T>(run: () => Promise<T>): Promise<T> {
    while (this.held) await this.held;
    this.inFlight++;
    try {
      return await this.invokeTillFaulty(run);
    } finally {
      if (--this.inFlight === 0) for (const resolve of this.whenIdle.splice(0)) resolve();
    }
  }

  private async invokeTillFaulty<T>(run: () => Promise<T>): Promise<T> {
    let plan: Plan | null = null;
    // Each till fault once first (the first requests), then at the configured rate.
    const missing = TILL_FAULTS.some((k) => this.counts[k] === 0);
    if (this.enabled && !this.paused && (missing || this.rng.next() < this.rates.till)) {
      const least = Math.min(...TILL_FAULTS.map((k) => this.counts[k]));
      plan = { kind: TILL_FAULTS.find((k) => this.counts[k] === least)!, at: 1, done: false };
    }
    const inv: Invocation = { shardId: 'till', plan, calls: 0, writes: 0, memberWrites: 0, crashed: false, injected: [] };
    return this.als.run(inv, run);
  }

  private record(inv: Invocation, kind: HandlerFault): void {
    inv.injected.push(kind);
    this.counts[kind]++;
  }

  /** Above the SDK's retry middleware: what reaches the handler. */
  outer() {
    return (next: (args: any) => Promise<any>, context: { commandName?: string }) =>
      async (args: any): Promise<any> => {
        const inv = this.active();
        if (!inv) return next(args);
        if (inv.crashed) throw new ChaosCrash('chaos: the process is gone');
        inv.calls++;
        const command = context.commandName ?? '';
        const isWrite = WRITE_COMMANDS.has(command);
        if (isWrite) inv.writes++;
        // A member write is a put, or a transaction led by the put (one that marks ledger claims applied).
        const isMemberPut =
          ((command === 'PutItemCommand' || command === 'PutCommand') && args.input?.TableName === this.membersTable) ||
          ((command === 'TransactWriteItemsCommand' || command === 'TransactWriteCommand') &&
            args.input?.TransactItems?.[0]?.Put?.TableName === this.membersTable);
        const plan = inv.plan;
        if (plan && !plan.done && plan.kind === 'coverage') {
          // Before the call: the first missing kind this call can trigger becomes the plan.
          const missing = (k: InvocationFault) => this.counts[k] === 0;
          const kind =
            (['throttling_surfaced', 'provisioned_throughput_surfaced', 'timeout_before_send_surfaced'] as const).find(missing) ??
            (isWrite && missing('timeout_after_commit_surfaced') ? 'timeout_after_commit_surfaced' : undefined) ??
            (isMemberPut && missing('member_write_throttled') ? 'member_write_throttled' : undefined);
          if (kind) Object.assign(plan, { kind, at: 1 });
        }
        if (plan && !plan.done) {
          switch (plan.kind) {
            case 'throttling_surfaced':
              if (inv.calls >= plan.at) {
                plan.done = true;
                this.record(inv, plan.kind);
                throw sdkError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.', {
                  $retryable: { throttling: true },
                });
              }
              break;
            case 'provisioned_throughput_surfaced':
              if (inv.calls >= plan.at) {
                plan.done = true;
                this.record(inv, plan.kind);
                throw sdkError(
                  'ProvisionedThroughputExceededException',
                  'The level of configured provisioned throughput for the table was exceeded.',
                  { $retryable: { throttling: true } },
                );
              }
              break;
            case 'timeout_before_send_surfaced':
              if (inv.calls >= plan.at) {
                plan.done = true;
                this.record(inv, plan.kind);
                throw sdkError('TimeoutError', 'Connection timed out after 1000 ms (before the request was sent)');
              }
              break;
            case 'timeout_after_commit_surfaced':
              if (isWrite && inv.writes >= plan.at) {
                plan.done = true;
                await next(args); // the write is committed …
                this.record(inv, plan.kind);
                throw sdkError('TimeoutError', 'Socket timed out after the request was sent'); // … but the caller never hears of it
              }
              break;
            case 'till_timeout_after_commit':
              if (isMemberPut) {
                plan.done = true;
                await next(args); // the redemption is committed …
                this.record(inv, plan.kind);
                throw sdkError('TimeoutError', 'Socket timed out after the request was sent'); // … the till never hears of it
              }
              break;
            case 'till_throttled':
              if (isMemberPut) {
                plan.done = true;
                this.record(inv, plan.kind);
                throw sdkError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.', {
                  $retryable: { throttling: true },
                });
              }
              break;
            case 'member_write_throttled':
              if (isMemberPut && inv.memberWrites + 1 >= plan.at) {
                plan.done = true;
                this.record(inv, plan.kind);
                throw sdkError('ProvisionedThroughputExceededException', 'member write throttled', { $retryable: { throttling: true } });
              }
              break;
            default:
              break;
          }
        }
        const out = await next(args);
        if (isMemberPut) {
          inv.memberWrites++;
          if (plan?.kind === 'coverage' && !plan.done && this.counts.crash_after_member_writes === 0) {
            Object.assign(plan, { kind: 'crash_after_member_writes', at: inv.memberWrites });
          }
          if (plan && !plan.done && plan.kind === 'crash_after_member_writes' && inv.memberWrites >= plan.at) {
            plan.done = true;
            inv.crashed = true;
            this.record(inv, plan.kind);
          }
        }
        return out;
      };
  }

  /**
   * Below the SDK's retry middleware (deserialize step): each attempt; the SDK retries these. The
   * first of each kind comes on the first eligible attempt, so a short run has one too.
   */
  inner() {
    return (send: (args: any) => Promise<any>, context: { commandName?: string }) =>
      async (args: any): Promise<any> => {
        const store = this.als.getStore();
        const written = store?.firstSeq ? memberWriteOf(context.commandName ?? '', args.input, this.membersTable) : null;
        // Each attempt that DynamoDB answered is committed (a fault after it included).
        const next = async (a: any) => {
          const out = await send(a);
          if (written) this.committedMemberWrites.push({ ...written, batchFirst: store!.firstSeq! });
          return out;
        };
        const inv = this.active();
        if (!inv) return next(args);
        if (this.counts.throttling_sdk_retried === 0 || this.rng.next() < this.rates.sdkThrottle) {
          this.record(inv, 'throttling_sdk_retried');
          throw sdkError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.', { $retryable: { throttling: true } });
        }
        // After the write committed: the SDK sends it again, and a conditional write then finds
        // its own effect (ConditionalCheckFailed), which the stores must take in their stride.
        if (
          WRITE_COMMANDS.has(context.commandName ?? '') &&
          (this.counts.timeout_after_commit_sdk_retried === 0 || this.rng.next() < this.rates.sdkTimeoutAfterCommit)
        ) {
          await next(args);
          this.record(inv, 'timeout_after_commit_sdk_retried');
          throw sdkError('TimeoutError', 'Socket timed out after the request was sent');
        }
        return next(args);
      };
  }

  /** A document client like functions/adapters/clients.ts's, with the fault middleware. */
  documentClient(endpoint: string): DynamoDBDocumentClient {
    const base = new DynamoDBClient({ maxAttempts: 5, endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    base.middlewareStack.add(this.outer() as never, { step: 'initialize', priority: 'high', name: 'chaosOuterFaults' });
    base.middlewareStack.add(this.inner() as never, { step: 'deserialize', priority: 'high', name: 'chaosInnerFaults' });
    return DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
  }
}

/** The member item a put (or a transaction led by one) writes, with its high-water mark; else null. */
export function memberWriteOf(command: string, input: any, membersTable: string): Omit<CommittedMemberWrite, 'batchFirst'> | null {
  const put =
    command === 'PutItemCommand' || command === 'PutCommand'
      ? input
      : command === 'TransactWriteItemsCommand' || command === 'TransactWriteCommand'
        ? input?.TransactItems?.[0]?.Put
        : null;
  if (!put || put.TableName !== membersTable) return null;
  // Marshalled ({ S: … }, { N: … }, { B: … }) below the document client, plain above it. The
  // high-water mark is stored compactly (functions/adapters/member-item-lists.ts): a Kinesis
  // shard as its number, the sequence number's digits packed into bytes; other text as it is.
  const text = (v: any): string | undefined => (typeof v === 'string' ? v : typeof v?.S === 'string' ? v.S : undefined);
  const shard = (v: any): string | number | undefined => (typeof v === 'number' ? v : typeof v?.N === 'string' ? Number(v.N) : text(v));
  const bytes = (v: any): string | Uint8Array | undefined => (v instanceof Uint8Array ? v : v?.B instanceof Uint8Array ? v.B : text(v));
  const memberId = text(put.Item?.memberId);
  const position = decodePosition(shard(put.Item?.hs), bytes(put.Item?.hq));
  return memberId && position ? { memberId, ...position } : null;
}

const KEY = Symbol.for('memberflow.chaos.controller');

/** The controller the chaos wrapper handler consults (one per process). */
export function installController(controller: FaultController | undefined): void {
  (globalThis as Record<symbol, unknown>)[KEY] = controller;
}

export function currentController(): FaultController | undefined {
  return (globalThis as Record<symbol, unknown>)[KEY] as FaultController | undefined;
}
