// External sort of event files by occurredAt, for `npm run import`: files of any size and order
// (optionally gzipped) are read line by line, cut into sorted runs on disk (a bounded amount in
// memory at a time), then merged k ways. Ties keep file and line order, so a re-run (resume)
// yields exactly the same order. Lines the consumer would quarantine are reported with file:line
// and kept out of the runs.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import { decodeRecord, type QuarantineReason } from '../../../shared/events/events';
import type { ImportEvent } from '../../../shared/import/run-import';
import { ownerKeyOf } from '../../../shared/identity/keys';

export interface BadLine {
  file: string;
  line: number;
  reason: QuarantineReason;
  detail: string;
  raw: string;
  eventId?: string;
  memberId?: string;
}

export interface SortResult {
  runs: string[];
  events: number;
  members: number;
  bad: number;
}

export interface SortOptions {
  dir: string;
  /** The import's clock: lines after it (+5 min) are future events, as on the stream. */
  nowMs: number;
  /** Characters of lines held in memory before a run is written. */
  runChars?: number;
  onBad(bad: BadLine): Promise<void> | void;
  onBytes?(bytes: number): void;
}

const DEFAULT_RUN_CHARS = 16 * 1024 * 1024;
const encoder = new TextEncoder();

/** The lines of a file, gunzipped when it ends in .gz. */
export function fileLines(file: string, onBytes?: (bytes: number) => void): readline.Interface {
  const raw = createReadStream(file);
  if (onBytes) raw.on('data', (chunk) => onBytes(chunk.length));
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (err) => input.emit('error', err));
  return readline.createInterface({ input, crlfDelay: Infinity });
}

interface Entry {
  at: number;
  file: number;
  line: number;
  text: string;
}

const byTime = (a: Entry, b: Entry) => a.at - b.at || a.file - b.file || a.line - b.line;

async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function writeRun(entries: Entry[], file: string): Promise<void> {
  entries.sort(byTime);
  const out = createWriteStream(file);
  for (const e of entries) await write(out, `${e.at}\t${e.file}\t${e.line}\t${e.text}\n`);
  out.end();
  await once(out, 'finish');
}

export async function sortToRuns(files: readonly string[], opts: SortOptions): Promise<SortResult> {
  await mkdir(opts.dir, { recursive: true });
  const limit = opts.runChars ?? DEFAULT_RUN_CHARS;
  const runs: string[] = [];
  const members = new Set<string>();
  let events = 0;
  let bad = 0;
  let buffer: Entry[] = [];
  let chars = 0;
  const spill = async () => {
    if (!buffer.length) return;
    const file = path.join(opts.dir, `run-${String(runs.length).padStart(5, '0')}.tsv`);
    await writeRun(buffer, file);
    runs.push(file);
    buffer = [];
    chars = 0;
  };
  for (const [fileIndex, file] of files.entries()) {
    let lineNo = 0;
    for await (const text of fileLines(file, opts.onBytes)) {
      lineNo++;
      if (text.trim() === '') continue;
      const decoded = decodeRecord(encoder.encode(text), opts.nowMs);
      if (!decoded.ok) {
        bad++;
        await opts.onBad({
          file,
          line: lineNo,
          reason: decoded.reason,
          detail: decoded.detail,
          raw: decoded.raw,
          eventId: decoded.eventId,
          memberId: decoded.memberId,
        });
        continue;
      }
      events++;
      members.add(ownerKeyOf(decoded.event) ?? '');
      buffer.push({ at: decoded.at, file: fileIndex, line: lineNo, text });
      chars += text.length + 64;
      if (chars >= limit) await spill();
    }
  }
  await spill();
  return { runs, events, members: members.size, bad };
}

/** A binary min-heap of the runs' current heads. */
class Heap {
  private items: { entry: Entry; run: number }[] = [];
  get size() {
    return this.items.length;
  }
  push(item: { entry: Entry; run: number }) {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (byTime(a[p].entry, a[i].entry) <= 0) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): { entry: Entry; run: number } {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && byTime(a[l].entry, a[m].entry) < 0) m = l;
        if (r < a.length && byTime(a[r].entry, a[m].entry) < 0) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

function parseRunLine(raw: string): Entry {
  const t1 = raw.indexOf('\t');
  const t2 = raw.indexOf('\t', t1 + 1);
  const t3 = raw.indexOf('\t', t2 + 1);
  return {
    at: Number(raw.slice(0, t1)),
    file: Number(raw.slice(t1 + 1, t2)),
    line: Number(raw.slice(t2 + 1, t3)),
    text: raw.slice(t3 + 1),
  };
}

/** The runs merged into one stream in (occurredAt, file, line) order. */
export async function* mergeRuns(runs: readonly string[]): AsyncGenerator<ImportEvent> {
  const readers = runs.map((file) => fileLines(file)[Symbol.asyncIterator]());
  const heap = new Heap();
  const advance = async (run: number) => {
    const next = await readers[run].next();
    if (!next.done) heap.push({ entry: parseRunLine(next.value), run });
  };
  await Promise.all(readers.map((_, run) => advance(run)));
  while (heap.size) {
    const { entry, run } = heap.pop();
    yield { at: entry.at, line: entry.text };
    await advance(run);
  }
}
