// Staging of an import in AWS (the use cases stage-object.ts and apply-staged.ts): each input
// object's valid lines are cut into one chunk per programme day, and a day's chunks are merged in
// time order (ties: object key, then line number — a re-run yields the same order). A chunk's key
// carries its day and line count, so the applier plans the whole import from a listing alone.
import { dayOf, MS_PER_DAY, zoneOffsetMs } from '../days/days';
import { decodeRecord, type QuarantineReason } from '../events/events';
import type { ImportEvent } from './run-import';

/** One staged line: its time, where it came from, and the line itself. */
export interface StagedLine {
  at: number;
  src: string;
  n: number;
  line: string;
}

export interface StagedBadLine {
  n: number;
  reason: QuarantineReason;
  detail: string;
  raw: string;
  eventId?: string;
  memberId?: string;
}

export interface StagedObject {
  /** Programme day → its lines, in input order. */
  days: Map<number, StagedLine[]>;
  bad: StagedBadLine[];
  events: number;
}

const encoder = new TextEncoder();

/** Validates and groups an object's lines by programme day (the same checks as the stream's). */
export function stageLines(src: string, lines: Iterable<string>, opts: { nowMs: number; timezone: string }): StagedObject {
  const days = new Map<number, StagedLine[]>();
  const bad: StagedBadLine[] = [];
  let n = 0;
  let events = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    const decoded = decodeRecord(encoder.encode(line), opts.nowMs);
    if (!decoded.ok) {
      bad.push({
        n,
        reason: decoded.reason,
        detail: decoded.detail,
        raw: decoded.raw,
        eventId: decoded.eventId,
        memberId: decoded.memberId,
      });
      continue;
    }
    events++;
    const day = dayOf(decoded.at, opts.timezone);
    let list = days.get(day);
    if (!list) days.set(day, (list = []));
    list.push({ at: decoded.at, src, n, line });
  }
  return { days, bad, events };
}

export function byStagedOrder(a: StagedLine, b: StagedLine): number {
  return a.at - b.at || (a.src < b.src ? -1 : a.src > b.src ? 1 : 0) || a.n - b.n;
}

/** `staged/<importId>/<day, 6 digits>/<chunk id>-<count>.jsonl` */
export function chunkKey(importId: string, day: number, chunkId: string, count: number): string {
  return `${stagingPrefix(importId)}${String(day).padStart(6, '0')}/${chunkId}-${count}.jsonl`;
}

export function stagingPrefix(importId: string): string {
  return `staged/${importId}/`;
}

export function checkpointKey(importId: string): string {
  return `${stagingPrefix(importId)}checkpoint.json`;
}

/** Day and line count of a chunk key; undefined for any other key under the prefix. */
export function parseChunkKey(importId: string, key: string): { day: number; count: number } | undefined {
  const m = /^(\d{6})\/[^/]+-(\d+)\.jsonl$/.exec(key.slice(stagingPrefix(importId).length));
  return key.startsWith(stagingPrefix(importId)) && m ? { day: Number(m[1]), count: Number(m[2]) } : undefined;
}

export interface DayPlan {
  day: number;
  count: number;
  keys: string[];
}

/** The import's days in order, each with its chunks and event count. */
export function planDays(importId: string, keys: readonly string[]): DayPlan[] {
  const days = new Map<number, DayPlan>();
  for (const key of keys) {
    const parsed = parseChunkKey(importId, key);
    if (!parsed) continue;
    let d = days.get(parsed.day);
    if (!d) days.set(parsed.day, (d = { day: parsed.day, count: 0, keys: [] }));
    d.count += parsed.count;
    d.keys.push(key);
  }
  return [...days.values()].sort((a, b) => a.day - b.day);
}

/**
 * The import's events in time order, day by day. Days wholly before `applied` (events already
 * committed, from the checkpoint) are not read: they yield placeholders the import skips by count.
 * `stopBefore(day)` is asked at each new day after the first read one: true ends the sequence there
 * (a day boundary, so the import's job catch-up for the next day is already due).
 */
export async function* stagedEvents(
  timezone: string,
  plan: readonly DayPlan[],
  applied: number,
  readChunk: (key: string) => Promise<StagedLine[]>,
  stopBefore: (day: number) => boolean = () => false,
): AsyncGenerator<ImportEvent> {
  let index = 0;
  let readAny = false;
  for (const d of plan) {
    if (index + d.count <= applied) {
      const at = d.day * MS_PER_DAY - zoneOffsetMs(timezone, d.day * MS_PER_DAY) + 3_600_000; // 01:00 local
      for (let i = 0; i < d.count; i++) yield { at, line: '' };
      index += d.count;
      continue;
    }
    if (readAny && stopBefore(d.day)) return;
    readAny = true;
    const lines = (await Promise.all(d.keys.map(readChunk))).flat().sort(byStagedOrder);
    for (const l of lines) yield { at: l.at, line: l.line };
    index += d.count;
  }
}
