// A value stored as raw-deflated JSON in one binary attribute (no zlib header: every byte is
// billed), with a preset dictionary where one is given: the counter items' counters and exception
// lists, the member item's packed texts, the ledger's coin moves.
import { deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';

export const deflateJson = (value: unknown, options: ZlibOptions = {}): Buffer => deflateRawSync(JSON.stringify(value), options);

export const inflateJson = <T>(bytes: Uint8Array, options: ZlibOptions = {}): T =>
  JSON.parse(inflateRawSync(bytes, options).toString('utf8')) as T;
