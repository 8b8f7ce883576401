// A debug count of DynamoDB requests by operation and call site (MEMBERFLOW_COUNT_REQUESTS=1 on
// `npm run import`): each request is counted under its command and the first frame of the
// project's own code that sent it (an adapter's method, a job), so a count can be traced to its
// source. Reads the stack at the SDK's first middleware step, while the caller's frames are still
// on it (V8 keeps the awaited callers as `async` frames).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const OWN = /\/(functions|shared|infra)\/[^\s)]+:\d+/;

function callSite(stack: string | undefined): string {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    if (line.includes('node_modules') || line.includes('request-count.ts')) continue;
    const m = OWN.exec(line);
    if (m) {
      const fn = /at (?:async )?([^\s(]+) \(/.exec(line)?.[1];
      return `${m[0].replace(/^\//, '').replace(/:\d+$/, '')}${fn ? ` ${fn}` : ''}`;
    }
  }
  return '?';
}

export interface RequestCounts {
  /** "Operation site" → requests. */
  counts: Map<string, number>;
  /** A table of the counts, largest first, with each operation's total. */
  report(): string;
}

export function countRequests(client: DynamoDBDocumentClient): RequestCounts {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = (context.commandName ?? '?').replace(/Command$/, '');
      const key = `${op} ${callSite(new Error().stack)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: 'memberflowRequestCount', override: true },
  );
  return {
    counts,
    report() {
      const byOp = new Map<string, number>();
      for (const [k, n] of counts) byOp.set(k.split(' ')[0], (byOp.get(k.split(' ')[0]) ?? 0) + n);
      const rows = [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(8)}  ${k}`);
      const totals = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`);
      return `DynamoDB requests: ${totals.join(', ')}\n${rows.join('\n')}`;
    },
  };
}
