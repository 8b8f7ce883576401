// The ports of the history import in AWS (ImportStateMachine): where its input objects are read,
// its per-day chunks staged and its checkpoint kept (ImportBucket in AWS:
// functions/adapters/import-staging.ts), and where bad lines go.
import type { QuarantinePort } from '../batch/ports';
import type { ImportCheckpoint } from './run-import';
import type { StagedLine } from './staging';

/** The checkpoint as stored: `done` once every staged event is applied. */
export interface StoredCheckpoint extends ImportCheckpoint {
  done: boolean;
}

export interface ImportStagingPort {
  /** An input object's text (gunzipped when its key ends in .gz). */
  readInput(key: string): Promise<string>;
  /** Stores an input object's lines of one day as one chunk; a retry writes the same chunk again. */
  writeChunk(importId: string, day: number, source: string, lines: readonly StagedLine[]): Promise<void>;
  /** Every key under the import's staging prefix (chunks, and the checkpoint when there is one). */
  listStaged(importId: string): Promise<string[]>;
  readChunk(key: string): Promise<StagedLine[]>;
  readCheckpoint(importId: string): Promise<StoredCheckpoint | undefined>;
  saveCheckpoint(importId: string, checkpoint: StoredCheckpoint): Promise<void>;
}

export interface StagePorts {
  staging: ImportStagingPort;
  quarantine: QuarantinePort;
}
