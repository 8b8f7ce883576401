// What a local event source mapping is configured with (the template's properties and the
// poller's own options) and what it counts.

/** The event source mapping's settings, as the template gives them (AWS::Lambda::EventSourceMapping). */
export interface MappingSettings {
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  /** -1 = infinite. */
  maximumRetryAttempts: number;
  /** -1 = infinite. */
  maximumRecordAgeInSeconds: number;
  reportBatchItemFailures: boolean;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
}

export interface MappingConfig extends MappingSettings {
  /** Logical id of the mapping (names the failure objects). */
  name: string;
  functionName: string;
}

export type Invoke = (event: { Records: unknown[] }) => Promise<unknown>;

export interface MappingStats {
  invocations: number;
  recordsDelivered: number;
  failedInvocations: number;
  recordsToDestination: number;
  /** Retries that re-read past the end of the attempt before (`growRetries`). */
  grownRetries: number;
  /** Records those retries added. */
  recordsAddedOnRetry: number;
}

export interface PollerOptions {
  /** Idle poll interval bounds (ms): polls speed up after activity and slow down when idle. */
  minPollMs?: number;
  maxPollMs?: number;
  /** How often the shard list is refreshed (ms). */
  discoveryMs?: number;
  /** Backoff before retrying a failed batch: base * 2^(retries-1), capped at 2 s. */
  retryBaseMs?: number;
  /**
   * Grown retry batches. Lambda retries a failed batch by reading the shard again from the
   * checkpoint, so a retry can carry records the first attempt did not (those that arrived after a
   * batch its window cut short). Here first attempts take at most half the batch size, and a retry
   * from the checkpoint (after a partial failure, or an error not bisected) is refilled with the
   * records that follow, up to the full batch size.
   */
  growRetries?: boolean;
  log?: (msg: string) => void;
}
