// The V8 flags of the functions that run the batch code (process-events, the import applier), in
// one place: the stack puts them in those functions' NODE_OPTIONS, and the benchmark measures the
// handler under the same flags (bench/deployed-flags.ts). No CDK imports: the bench loads it too.

/**
 * Semi-spaces of 64 MB instead of V8's 16 MB default. A batch's objects (decoded records, the
 * members' copies, their deltas) live as long as the batch: with the default young generation
 * they outlive a scavenge and are promoted, and the old generation's collections then cost a
 * fifth of the handler's CPU (#16, docs/capacity.md). With 64 MB they mostly die young. The young
 * generation grows to at most 3 × 64 MB, well inside these functions' 1,024 MB and more.
 */
export const BATCH_CODE_V8_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
