// Vitest setup file: the handlers' Powertools log lines (JSON on stdout/stderr) are held back and
// printed only when a test fails, so a green run is readable. Tests that capture the output
// themselves (test/security/logs.test.ts) patch process.stdout.write over this and see every line.
// A failing beforeAll runs no test (and vitest skips afterAll then), so its held lines are not
// printed: rerun that file with MEMBERFLOW_TEST_VERBOSE=1, which turns the holding off.
import { beforeEach, onTestFinished } from 'vitest';

const MAX_HELD = 2_000; // the newest lines are the ones that explain a failure
const isHandlerLog = (text: string) => /^\{"(level|message|timestamp)":/.test(text) && text.includes('"level":"');

if (!process.env.MEMBERFLOW_TEST_VERBOSE) {
  let held: string[] = [];
  const hold = (stream: NodeJS.WriteStream) => {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : null;
      if (text !== null && isHandlerLog(text)) {
        held.push(text);
        if (held.length > MAX_HELD) held = held.slice(-MAX_HELD / 2);
        const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        done?.();
        return true;
      }
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    return write;
  };
  const writeOut = hold(process.stdout);
  hold(process.stderr);

  const flush = (why: string) => {
    if (!held.length) return;
    writeOut(`--- ${held.length} handler log lines held back ${why} ---\n${held.join('')}--- end of handler logs ---\n`);
    held = [];
  };
  beforeEach(() => {
    // Lines logged by a test that passes are dropped; lines from hooks (a beforeAll that fills the
    // stack) stay held until a test fails or the file ends.
    const start = held.length;
    onTestFinished(({ task }) => {
      if (task.result?.state === 'fail') flush(`before this failure (${task.name})`);
      else held.length = Math.min(held.length, start);
    });
  });
}
