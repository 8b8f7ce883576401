// The consumer's ports over an in-memory pipeline with faults injected by count, for the property
// tests of the batch path: every n-th member write fails, every n-th counter write throws, and an
// attempt may die after some member writes (every later call fails, as a process that is gone).
import type { BatchPorts } from '../../shared/batch/process-batch';
import type { AppliedClaim } from '../../shared/member/ledger';
import type { MemberState } from '../../shared/member/state';
import type { MemoryPipeline } from './memory-pipeline';

export interface FaultCounts {
  /** Every n-th member write fails. */
  memberModulus: number;
  /** Every n-th counter write throws (the batch throws half-way through its counters). */
  counterModulus: number;
  /** Every other failed member write answers false (lost to the api's write) instead of throwing (a timeout). */
  lostRaces?: boolean;
  /** Called before each member write with its number (the till writing the member first, say). */
  beforeMemberWrite?: (state: MemberState, n: number) => Promise<void>;
}

export class FaultyPorts {
  /** Faults on (off: the calls go straight through). */
  enabled = true;
  private memberWrites = 0;
  private counterWrites = 0;
  /** This attempt's member writes before it dies (0: it does not), and whether it has died. */
  private crashAfter = 0;
  private writesThisAttempt = 0;
  private dead = false;

  constructor(
    private readonly pipeline: MemoryPipeline,
    private readonly faults: FaultCounts,
  ) {}

  /** A new attempt, which dies after `crashAfter` member writes (0: never). */
  attempt(crashAfter: number): void {
    this.crashAfter = this.enabled ? crashAfter : 0;
    this.writesThisAttempt = 0;
    this.dead = false;
  }

  private alive(): void {
    if (this.dead) throw new Error('injected: the process is gone');
  }

  overrides(): Partial<BatchPorts> {
    const { pipeline, faults } = this;
    return {
      members: {
        getMany: async (ids) => (this.alive(), pipeline.members.getMany(ids)),
        put: async (state: MemberState, applied?: readonly AppliedClaim[]) => {
          this.alive();
          if (this.crashAfter && ++this.writesThisAttempt > this.crashAfter) this.dead = true;
          this.alive();
          const n = ++this.memberWrites;
          if (this.enabled && faults.beforeMemberWrite) await faults.beforeMemberWrite(state, n);
          if (this.enabled && n % faults.memberModulus === 0) {
            if (!faults.lostRaces || (n / faults.memberModulus) % 2) throw new Error('injected: member write timed out');
            return false;
          }
          return pipeline.members.put(state, applied);
        },
      },
      metrics: {
        read: async (keys, shardId) => (this.alive(), pipeline.metrics.read(keys, shardId)),
        write: async (...args) => {
          this.alive();
          if (this.enabled && ++this.counterWrites % faults.counterModulus === 0) throw new Error('injected: counter write throttled');
          return pipeline.metrics.write(...args);
        },
      },
    };
  }
}
