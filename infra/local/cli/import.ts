// `npm run import -- FILE... [--resume] [--batch N] [--no-jobs] [--summary FILE]`: loads a history (JSON lines,
// optionally .gz, any order, larger than memory) into the running `npm start` through the
// consumer's batch use case and the same DynamoDB adapters process-events wires; the daily jobs
// are caught up day by day in between. See shared/import/run-import.ts for the guarantees.
import { existsSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { commandKey } from '../../../functions/adapters/command-key';
import { jobPorts, stores } from '../../../functions/adapters/stores';
import { runImport, type ImportCheckpoint } from '../../../shared/import/run-import';
import { importSourceId } from '../../../shared/import/sequence';
import { loadProgram } from '../../../shared/programme/load';
import type { QuarantineItem } from '../../../shared/batch/process-batch';
import { documentClient } from '../../../functions/adapters/clients';
import { localSdkEnv } from '../engine/aws';
import { countRequests } from '../engine/request-count';
import { mergeRuns, sortToRuns, type BadLine } from './import-sort';
import { readRunningState, stateFile } from '../engine/state';

interface SavedImport {
  sourceId: string;
  files: string[];
  arrivedAt: number;
  checkpoint: ImportCheckpoint;
  done: boolean;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    resume: { type: 'boolean', default: false },
    // Lambda's largest Kinesis batch; fewer, larger batches write a member once per batch, not per 5,000.
    batch: { type: 'string', default: '10000' },
    'no-jobs': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    /** Also writes the summary as JSON to this file (the demo reads its job counts). */
    summary: { type: 'string' },
  },
});

function usage(message: string): never {
  console.error(`import: ${message}\nusage: npm run import -- FILE... [--resume] [--batch N] [--no-jobs] [--summary FILE]`);
  process.exit(2);
}

function saveJson(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(value));
  renameSync(`${file}.tmp`, file); // atomic: a crash leaves the previous checkpoint whole
}

async function main(): Promise<void> {
  if (!positionals.length) usage('no files given');
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) usage('--batch must be an integer 1…10000');
  const files = positionals.map((f) => {
    if (!existsSync(f)) usage(`no such file: ${f}`);
    return realpathSync(f);
  });
  const state = readRunningState();
  const { tables, streams, buckets } = state.names;
  Object.assign(process.env, localSdkEnv(state.endpoints), {
    MEMBERS_TABLE: tables.MembersTable,
    LEDGER_TABLE: tables.LedgerTable,
    METRICS_TABLE: tables.MetricsTable,
    QUARANTINE_TABLE: tables.QuarantineTable,
    EXPORTS_TABLE: tables.ExportsTable,
    EVENTS_STREAM: streams.EventsStream,
    ACTIONS_STREAM: streams.ActionsStream,
    EXPORTS_BUCKET: buckets.ExportsBucket,
  });
  // MEMBERFLOW_COUNT_REQUESTS=1: DynamoDB requests by operation and call site, printed at the end.
  const requests = process.env.MEMBERFLOW_COUNT_REQUESTS ? countRequests(documentClient()) : undefined;

  // The same files (path, size, modification time) are the same import: same source id, same marks.
  const sourceId = importSourceId(files.map((f) => `${f}|${statSync(f).size}|${statSync(f).mtimeMs}`));
  const workDir = path.join(path.dirname(stateFile()), 'import', sourceId);
  const savedFile = path.join(workDir, 'checkpoint.json');
  const saved: SavedImport | undefined = existsSync(savedFile) ? JSON.parse(readFileSync(savedFile, 'utf8')) : undefined;
  if (saved && !saved.done && !values.resume)
    usage(`an import of these files was interrupted after ${saved.checkpoint.applied} events; add --resume to go on`);
  const resume = values.resume && saved && !saved.done ? saved : undefined;
  if (values.resume && !resume) console.log('import: nothing to resume for these files; starting');
  const arrivedAt = resume?.arrivedAt ?? Date.now();
  await mkdir(workDir, { recursive: true });

  // The job catch-up's commands are signed with the stack's command key, like the scheduled jobs'.
  const ports = { ...stores(), program: loadProgram(), commands: await commandKey() };
  const log = (m: string) => values.quiet || console.log(`[import] ${m}`);
  const t0 = Date.now();
  const bad: QuarantineItem[] = [];
  const flushBad = async () => {
    if (bad.length) await ports.quarantine.putAll(bad.splice(0));
  };
  const onBad = async (b: BadLine) => {
    const where = `${path.relative(process.cwd(), b.file) || b.file}:${b.line}`;
    bad.push({
      receivedAt: new Date(arrivedAt).toISOString(),
      reason: b.reason,
      detail: `${where}: ${b.detail}`,
      raw: b.raw,
      eventId: b.eventId,
      memberId: b.memberId,
      shardId: sourceId,
      seq: where,
    });
    if (bad.length >= 100) await flushBad();
  };
  log(`sorting ${files.length} file(s) by time (runs in ${path.relative(process.cwd(), workDir)})`);
  rmSync(path.join(workDir, 'runs'), { recursive: true, force: true });
  const sorted = await sortToRuns(files, { dir: path.join(workDir, 'runs'), nowMs: arrivedAt, onBad });
  await flushBad();
  log(
    `${sorted.events} events of ${sorted.members} members in ${sorted.runs.length} sorted run(s), ${sorted.bad} bad line(s) quarantined (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );

  const record: SavedImport = {
    sourceId,
    files,
    arrivedAt,
    checkpoint: resume?.checkpoint ?? { applied: 0, jobsThrough: null, pending: null },
    done: false,
  };
  saveJson(savedFile, record);
  const bar = new cliProgress.SingleBar(
    {
      format: '  importing [{bar}] {percentage}% | {value}/{total} events | {rate} events/s | ETA {eta_formatted}',
      hideCursor: true,
      noTTYOutput: !values.quiet,
      notTTYSchedule: 5000,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = record.checkpoint.applied;
  const t1 = Date.now();
  if (!values.quiet) bar.start(sorted.events, start, { rate: '—' });
  const summary = await runImport(
    mergeRuns(sorted.runs),
    { sourceId, arrivedAt, batchSize, checkpoint: record.checkpoint },
    {
      batch: ports,
      jobs: values['no-jobs'] ? null : jobPorts(),
      saveCheckpoint: async (checkpoint) => saveJson(savedFile, { ...record, checkpoint }),
      onBatch: ({ applied }) => {
        const secs = (Date.now() - t1) / 1000;
        if (!values.quiet) bar.update(applied, { rate: secs > 0 ? Math.round((applied - start) / secs) : '—' });
      },
    },
  );
  if (!values.quiet) bar.stop();
  saveJson(savedFile, { ...record, checkpoint: { applied: sorted.events, jobsThrough: null, pending: null }, done: true });
  rmSync(path.join(workDir, 'runs'), { recursive: true, force: true });
  const secs = (Date.now() - t0) / 1000;
  const byType = Object.entries(summary.jobCommandsByType).map(([type, n]) => `${type} ${n}`);
  if (values.summary) saveJson(values.summary, { ...summary, members: sorted.members, bad: sorted.bad, seconds: secs });
  console.log(
    `import done: ${summary.events} events applied${summary.skipped ? ` (${summary.skipped} already applied before the resume)` : ''}, ${sorted.members} members, ` +
      `${sorted.bad + summary.quarantined} quarantined, ${summary.jobDays} job day(s) with ${summary.jobCommands} command(s)${byType.length ? ` (${byType.join(', ')})` : ''}, ` +
      `${secs.toFixed(1)} s, ${Math.round(summary.events / Math.max(secs, 0.001))} events/s`,
  );
  if (requests) console.log(requests.report());
}

main().catch((err) => {
  console.error(`import: ${err instanceof Error ? (process.env.MEMBERFLOW_DEBUG ? err.stack : err.message) : err}`);
  process.exit(1);
});
