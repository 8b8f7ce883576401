// `npm run audit -- verify`: walks the audit chain of the running stack (its AuditTable, read
// directly, not through the API) and names the first broken entry. Exit code 0 = intact,
// 1 = broken, 2 = could not check. Against AWS: `npm run audit -- verify --table NAME` with the
// usual AWS credentials and region.
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoAuditLog } from '../../../functions/adapters/audit-store';
import { dynamoClient } from '../engine/aws';
import { readRunningState } from '../engine/state';

const USAGE = 'usage: npm run audit -- verify [--table AUDIT_TABLE_NAME]';

function parseArgs(argv: string[]): { command: string; table?: string } {
  let command: string | undefined;
  let table: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--table') table = argv[++i];
    else if (a.startsWith('--table=')) table = a.slice('--table='.length);
    else if (!command && !a.startsWith('-')) command = a;
    else throw new Error(`unexpected argument ${a}\n${USAGE}`);
  }
  if (command !== 'verify') throw new Error(USAGE);
  if (table !== undefined && !table) throw new Error(`--table needs a table name\n${USAGE}`);
  return { command, table };
}

function openLog(table: string | undefined): { log: DynamoAuditLog; close: () => void } {
  if (table) {
    const raw = new DynamoDBClient({});
    return { log: new DynamoAuditLog(DynamoDBDocumentClient.from(raw), table), close: () => raw.destroy() };
  }
  const state = readRunningState();
  const name = state.names.tables.AuditTable;
  if (!name) throw new Error('the running stack has no AuditTable (started from an older version?)');
  const raw = dynamoClient(state.endpoints);
  return { log: new DynamoAuditLog(DynamoDBDocumentClient.from(raw), name), close: () => raw.destroy() };
}

async function main(): Promise<number> {
  const { table } = parseArgs(process.argv.slice(2));
  const { log, close } = openLog(table);
  try {
    const result = await log.verify();
    if (result.ok) {
      console.log(
        `audit chain ok: ${result.entries} entries${result.entries ? `, head seq ${result.headSeq}, hash ${result.headHash}` : ''}`,
      );
      return 0;
    }
    console.log(`audit chain BROKEN at entry ${result.firstBroken.seq} (${result.firstBroken.reason}): ${result.firstBroken.message}`);
    return 1;
  } finally {
    close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`audit: ${err instanceof Error ? err.message : err}`);
    process.exit(2);
  },
);
