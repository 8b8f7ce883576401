// An on-disk spool for a producer that goes offline: records it could not deliver are written to a
// file (atomically: a temporary file, then a rename) and re-sent, oldest file first, when it can.
// A crash between a re-send and the file's removal sends those records again: the eventIds make
// that a duplicate the consumer's idempotency absorbs.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { UserRecordInput } from './batching';

const SUFFIX = '.spool';

export class Spool {
  private seq = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  append(records: readonly UserRecordInput[]): void {
    if (!records.length) return;
    const name = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${String(this.seq++).padStart(6, '0')}`;
    const lines = records.map((r) => JSON.stringify({ k: r.partitionKey, d: Buffer.from(r.data).toString('base64') })).join('\n');
    const tmp = path.join(this.dir, `${name}.tmp`);
    writeFileSync(tmp, `${lines}\n`, { flush: true });
    renameSync(tmp, path.join(this.dir, `${name}${SUFFIX}`));
  }

  /** Spool files, oldest first. */
  files(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(SUFFIX))
      .sort()
      .map((f) => path.join(this.dir, f));
  }

  read(file: string): UserRecordInput[] {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l)
      .map((l) => {
        const { k, d } = JSON.parse(l) as { k: string; d: string };
        return { partitionKey: k, data: new Uint8Array(Buffer.from(d, 'base64')) };
      });
  }

  /** Rewrites a file with fewer records, atomically, keeping its place in the order. */
  replace(file: string, records: readonly UserRecordInput[]): void {
    const tmp = `${file}.tmp`;
    writeFileSync(
      tmp,
      records.map((r) => `${JSON.stringify({ k: r.partitionKey, d: Buffer.from(r.data).toString('base64') })}\n`).join(''),
      { flush: true },
    );
    renameSync(tmp, file);
  }

  remove(file: string): void {
    rmSync(file, { force: true });
  }

  /** Records waiting in the spool. */
  size(): number {
    return this.files().reduce((n, f) => n + this.read(f).length, 0);
  }
}
