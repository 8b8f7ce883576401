// Least privilege: what each function's role may do on each table, stream, bucket and key
// (the resources and their wiring are in stack.test.ts).
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, hasExportSegment, JOBS, resources, statementsOf } from '../support/stack-template';

/**
 * Actions a function may perform on a resource (by `GetAtt <id>.<attribute>`, also inside
 * Fn::Join), unconditionally: statements narrowed by a Condition are checked on their own.
 */
function actionsOn(fnId: string, targetId: string, attribute = 'Arn'): string[] {
  const needle = JSON.stringify({ 'Fn::GetAtt': [targetId, attribute] });
  const actions = statementsOf(fnId)
    .filter((s) => s.Effect === 'Allow' && !s.Condition && [s.Resource].flat().some((r) => JSON.stringify(r).includes(needle)))
    .flatMap((s) => [s.Action].flat());
  return [...new Set(actions)].sort();
}

const DDB_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const DDB_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
/**
 * A function's access to a table, compactly: `read` for GetItem + BatchGetItem + Query, then every
 * other DynamoDB action it may perform there (unconditionally), e.g. `read+PutItem`; `none`.
 */
function accessTo(fnId: string, tableId: string): string {
  const actions = actionsOn(fnId, tableId).map((a) => a.replace('dynamodb:', ''));
  if (!actions.length) return 'none';
  const reads = DDB_READ.every((a) => actions.includes(a.replace('dynamodb:', '')));
  const rest = actions.filter((a) => !(reads && DDB_READ.includes(`dynamodb:${a}`)));
  return [...(reads ? ['read'] : []), ...rest].join('+');
}

/** What a putter may do on a Kinesis stream (allowPutRecords: PutRecords only; AWS managed key: no KMS actions). */
const KINESIS_PUT = ['kinesis:PutRecords'];
/** Any action that reads records from a Kinesis stream. */
const KINESIS_GET = ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:SubscribeToShard'];

/** Logical ids of every resource a function's policy names (its own log group left out). */
function resourcesNamedBy(fnId: string): string[] {
  const ownLogs = resources[fnId].Properties.LoggingConfig.LogGroup.Ref;
  const ids = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      if (Array.isArray(obj['Fn::GetAtt'])) ids.add(obj['Fn::GetAtt'][0] as string);
      else if (typeof obj.Ref === 'string') ids.add(obj.Ref);
      else Object.values(obj).forEach(walk);
    }
  };
  for (const s of statementsOf(fnId)) walk(s.Resource);
  ids.delete(ownLogs);
  return [...ids].sort();
}

describe('least-privilege grants', () => {
  const tables = ['MembersTable', 'LedgerTable', 'MetricsTable', 'QuarantineTable', 'ExportsTable'];
  // Exactly the actions the adapters call (docs/iam.md): no Scan but the consumer's erasure sweep of
  // the job hints and the listing of the segments read from MembersTable (api, export), no DeleteItem but its erasure of the member item, nothing on an export record
  // that deletes it.
  const matrix: Record<string, string[]> = {
    //                      Members, Ledger, Metrics, Quarantine, Exports
    // (MembersTable is read by batches of keys only; its Query is on TierReviewIndex.)
    ProcessEventsFunction: [
      'BatchGetItem+BatchWriteItem+DeleteItem+PutItem',
      'read+BatchWriteItem+PutItem+UpdateItem',
      'read+BatchWriteItem+PutItem+Scan',
      'BatchWriteItem+Query',
      'none',
    ],
    ApiFunction: [
      'BatchGetItem+ConditionCheckItem+PutItem+Scan',
      'GetItem+PutItem+Query',
      'GetItem+PutItem+Query',
      'Query',
      'GetItem+PutItem+UpdateItem',
    ],
    TierReviewFunction: ['BatchGetItem+Query', 'none', 'GetItem+Query', 'none', 'none'],
    WinbackFunction: ['BatchGetItem', 'none', 'GetItem+Query', 'none', 'none'],
    RfmFunction: ['BatchGetItem', 'none', 'GetItem+Query', 'none', 'none'],
    CoinsFunction: ['BatchGetItem+Scan', 'none', 'GetItem+Query', 'none', 'none'],
    // The history import: stage only quarantines bad lines; apply is the consumer's batch code
    // plus the jobs' catch-up (index queries, its progress item).
    ImportStageFunction: ['none', 'none', 'none', 'BatchWriteItem', 'none'],
    ImportApplyFunction: [
      'BatchGetItem+BatchWriteItem+DeleteItem+PutItem+Query+Scan',
      'read+BatchWriteItem+PutItem+UpdateItem',
      'read+BatchWriteItem+PutItem+Scan',
      'BatchWriteItem+Query',
      'none',
    ],
    ...(hasExportSegment ? { ExportSegmentFunction: ['BatchGetItem+Scan', 'none', 'Query', 'none', 'GetItem+UpdateItem'] } : {}),
  };

  it('the matrix covers every function', () => {
    expect(Object.keys(matrix).sort()).toEqual(Object.keys(FUNCTIONS).sort());
  });

  it.each(Object.entries(matrix))('%s table access', (fnId, expected) => {
    expect(tables.map((t) => accessTo(fnId, t))).toEqual(expected);
  });

  it.each(Object.keys(FUNCTIONS))('%s names only the resources it needs', (fnId) => {
    const expected: Record<string, string[]> = {
      ProcessEventsFunction: [
        'ActionsStream',
        'CommandKeySecret',
        'ErasureSaltSecret',
        'EventsStream',
        'FailedBatchesBucket',
        'LedgerTable',
        'MembersTable',
        'MetricsTable',
        'QuarantineTable',
      ],
      ApiFunction: [
        'AuditTable',
        'ErasureSaltSecret',
        'EventsStream',
        'ExportsBucket',
        'ExportsTable',
        'LedgerTable',
        'MembersTable',
        'MetricsTable',
        'QuarantineTable',
        ...(hasExportSegment ? ['ExportSegmentFunction'] : []),
      ],
      TierReviewFunction: ['CommandKeySecret', 'EventsStream', 'JobFailuresQueue', 'MembersTable', 'MetricsTable'],
      WinbackFunction: ['CommandKeySecret', 'EventsStream', 'JobFailuresQueue', 'MembersTable', 'MetricsTable'],
      RfmFunction: ['CommandKeySecret', 'EventsStream', 'JobFailuresQueue', 'MembersTable', 'MetricsTable'],
      CoinsFunction: ['CoinsFunction', 'CommandKeySecret', 'EventsStream', 'JobFailuresQueue', 'MembersTable', 'MetricsTable'],
      ExportSegmentFunction: ['ExportsBucket', 'ExportsTable', 'MembersTable', 'MetricsTable'],
      ImportStageFunction: ['ImportBucket', 'QuarantineTable'],
      ImportApplyFunction: [
        'ActionsStream',
        'CommandKeySecret',
        'ErasureSaltSecret',
        'ImportBucket',
        'LedgerTable',
        'MembersTable',
        'MetricsTable',
        'QuarantineTable',
      ],
    };
    expect(resourcesNamedBy(fnId)).toEqual(expected[fnId].sort());
  });

  it('only process-events (and the import applier, the same batch code) writes member state and counters', () => {
    const consumers = ['ProcessEventsFunction', 'ImportApplyFunction'];
    for (const fnId of Object.keys(FUNCTIONS)) {
      for (const table of ['MembersTable', 'MetricsTable', 'LedgerTable']) {
        const writes = actionsOn(fnId, table).filter((a) => DDB_WRITE.includes(a));
        // The api's coin operations put the member, the operation's ledger item and its counters.
        if (consumers.includes(fnId)) expect(writes, `${fnId} on ${table}`).toContain('dynamodb:PutItem');
        else expect(writes, `${fnId} on ${table}`).toEqual(fnId === 'ApiFunction' ? ['dynamodb:PutItem'] : []);
      }
    }
  });

  it('the audit log is append-only: writers may only PutItem (the append is a conditional put of a new seq)', () => {
    for (const fnId of Object.keys(FUNCTIONS)) {
      const writes = actionsOn(fnId, 'AuditTable').filter((a) => DDB_WRITE.includes(a));
      expect(writes, fnId).toEqual(fnId === 'ApiFunction' ? ['dynamodb:PutItem'] : []);
    }
  });

  it("the api's PutItem on MembersTable is its coin operations' (whole member items): no narrower statement pretends otherwise", () => {
    // Tombstones and merge requests are puts too; a LeadingKeys condition could not narrow a grant
    // that coin operations need on every member key (docs/iam.md).
    const conditioned = statementsOf('ApiFunction').filter(
      (st: any) => JSON.stringify(st.Resource).includes('MembersTable') && st.Condition,
    );
    expect(conditioned).toEqual([]);
    expect(actionsOn('ApiFunction', 'MembersTable').filter((a) => DDB_WRITE.includes(a))).toEqual(['dynamodb:PutItem']);
  });

  it('the daily jobs may put only their own progress items (job#…) into MetricsTable, the coins job its coin-due hints (cd#…) too', () => {
    for (const fnId of JOBS) {
      const statements = statementsOf(fnId).filter((st: any) => [st.Action].flat().includes('dynamodb:PutItem'));
      expect(statements, fnId).toHaveLength(1);
      const keys = fnId === 'CoinsFunction' ? ['job#*', 'cd#*'] : ['job#*'];
      expect(statements[0].Condition, fnId).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } });
    }
  });

  it('the api function writes member state only by PutItem (coin operations, conditional on the version)', () => {
    expect(actionsOn('ApiFunction', 'MembersTable').filter((a) => DDB_WRITE.includes(a))).toEqual(['dynamodb:PutItem']);
  });

  it('the tier review job alone may query a MembersTable index (TierReviewIndex), and only query it', () => {
    for (const fnId of [...JOBS, 'ApiFunction']) {
      const onIndex = statementsOf(fnId)
        .filter((s) => JSON.stringify(s.Resource).includes('MembersTable') && JSON.stringify(s.Resource).includes('/index/*'))
        .flatMap((s) => [s.Action].flat());
      expect(onIndex, fnId).toEqual(fnId === 'TierReviewFunction' ? ['dynamodb:Query'] : []);
      expect(
        onIndex.filter((a) => DDB_WRITE.includes(a)),
        fnId,
      ).toEqual([]);
    }
  });

  it('nobody reads a DynamoDB stream (MembersTable has none)', () => {
    for (const fnId of Object.keys(FUNCTIONS)) {
      for (const table of tables) expect(actionsOn(fnId, table, 'StreamArn'), `${fnId} on ${table}`).toEqual([]);
      const streamActions = statementsOf(fnId)
        .flatMap((s) => [s.Action].flat())
        .filter((a) => ['dynamodb:ListStreams', 'dynamodb:DescribeStream'].includes(a));
      expect(streamActions, fnId).toEqual([]);
      expect(JSON.stringify(statementsOf(fnId)), fnId).not.toContain('StreamArn');
    }
  });

  it('only process-events reads EventsStream (through EventsMapping); it puts only to forward aggregated sub-records', () => {
    for (const fnId of Object.keys(FUNCTIONS)) {
      const actions = actionsOn(fnId, 'EventsStream');
      if (fnId === 'ProcessEventsFunction') {
        expect(actions).toEqual(expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream']));
        expect(actions.filter((a) => a.startsWith('kinesis:Put'))).toEqual(['kinesis:PutRecords']);
      } else {
        expect(
          actions.filter((a) => KINESIS_GET.includes(a)),
          fnId,
        ).toEqual([]);
      }
    }
  });

  it('only the daily jobs (their commands), the api (erase_member commands) and process-events (forwarding aggregated sub-records) put records on EventsStream', () => {
    const putters = [...JOBS, 'ApiFunction', 'ProcessEventsFunction'];
    for (const fnId of Object.keys(FUNCTIONS)) {
      const actions = actionsOn(fnId, 'EventsStream');
      const puts = actions.filter((a) => a.startsWith('kinesis:Put'));
      // The api puts a coin operation's coins_settle record alone (PutRecord).
      const api = fnId === 'ApiFunction' ? ['kinesis:PutRecord'] : [];
      expect(puts, fnId).toEqual(putters.includes(fnId) ? [...api, 'kinesis:PutRecords'] : []);
      if (putters.includes(fnId) && fnId !== 'ProcessEventsFunction') expect(actions, fnId).toEqual([...api, ...KINESIS_PUT]);
    }
  });

  it('only process-events (and the import applier, the same batch code) puts to ActionsStream, and none read it', () => {
    for (const fnId of Object.keys(FUNCTIONS)) {
      const actions = actionsOn(fnId, 'ActionsStream');
      expect(actions, fnId).toEqual(['ProcessEventsFunction', 'ImportApplyFunction'].includes(fnId) ? KINESIS_PUT : []);
      expect(
        actions.filter((a) => KINESIS_GET.includes(a)),
        fnId,
      ).toEqual([]);
    }
  });

  it('the stream consumer may only add objects to FailedBatchesBucket', () => {
    for (const fnId of Object.keys(FUNCTIONS)) {
      const actions = actionsOn(fnId, 'FailedBatchesBucket');
      expect(actions, fnId).toEqual(fnId === 'ProcessEventsFunction' ? ['s3:ListBucket', 's3:PutObject'] : []);
    }
  });

  it('the api may only read export objects (to pre-sign them); only the export job writes them', () => {
    for (const fnId of Object.keys(FUNCTIONS)) {
      const expected =
        fnId === 'ApiFunction' ? ['s3:GetObject'] : fnId === 'ExportSegmentFunction' ? ['s3:AbortMultipartUpload', 's3:PutObject'] : [];
      expect(actionsOn(fnId, 'ExportsBucket'), fnId).toEqual(expected);
    }
  });

  it('no statement grants wildcard actions', () => {
    for (const fnId of Object.keys(FUNCTIONS)) {
      for (const s of statementsOf(fnId)) {
        for (const action of [s.Action].flat()) expect(action, fnId).not.toContain('*');
      }
    }
  });

  it.runIf(hasExportSegment)('the api may invoke ExportSegmentFunction (and knows its name)', () => {
    expect(actionsOn('ApiFunction', 'ExportSegmentFunction')).toEqual(['lambda:InvokeFunction']);
    expect(resources.ApiFunction.Properties.Environment.Variables.EXPORT_SEGMENT_FUNCTION).toEqual({ Ref: 'ExportSegmentFunction' });
  });
});
