// A capacity meter of our own around the SDK client: write and read units by DynamoDB's billing
// rules, independent of what the server reports (DynamoDB Local reports 1 unit per item in a
// transaction where AWS bills 2, and ignores index writes); the rules are in bench/billing.ts.
//
// The before-image of every write comes from the meter's own copy of every item written through
// it (tables must be empty when metering starts); the after-image of an UpdateItem is computed by
// evaluating its update expression on that copy, so no extra request is made and the caller's
// ReturnValues are untouched. `verify()` compares the copies with the stored items afterwards.
import { DescribeTableCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  type AttrMap,
  type IndexInfo,
  indexWriteUnits,
  itemFromDocument,
  itemSize,
  keyString,
  readUnitsFor,
  type TableInfo,
  writeUnitsFor,
} from './billing';
import { applyUpdate } from './update-expression';

// ---------------------------------------------------------------------------------------------
// The meter

export interface TableTotals {
  writeUnits: number;
  /** Part of writeUnits spent on index entries. */
  indexWriteUnits: number;
  readUnits: number;
  /** Item writes (attempted, failed conditions included). */
  writes: number;
  failedConditions: number;
  reads: number;
  /** Largest item written (bytes). */
  maxItemBytes: number;
  /** Item writes that cost more than one unit (items over 1 KB, or transactional). */
  multiUnitWrites: number;
}

export interface HotSpot {
  table: string;
  key: string;
  writes: number;
  writeUnits: number;
  /** Largest write units of one write. */
  maxWriteUnits: number;
}

/** A partition's write units in its busiest epoch, against the events of that epoch. */
export interface PeakShare {
  table: string;
  key: string;
  epoch: string;
  writeUnits: number;
  events: number;
  /** writeUnits / events: the partition's write units per event of the workload at its peak. */
  share: number;
}

export interface MeterSnapshot {
  writeUnits: number;
  readUnits: number;
  byTable: Record<string, TableTotals>;
  /** Items and partitions with the most write units. */
  hottestItems: HotSpot[];
  hottestPartitions: HotSpot[];
  /** Update expressions the meter could not evaluate (their after-image was taken from a read). */
  unsupported: number;
}

const emptyTotals = (): TableTotals => ({
  writeUnits: 0,
  indexWriteUnits: 0,
  readUnits: 0,
  writes: 0,
  failedConditions: 0,
  reads: 0,
  maxItemBytes: 0,
  multiUnitWrites: 0,
});

interface Outcome {
  output?: Record<string, any>;
  error?: unknown;
  /** Output items are unmarshalled (DynamoDBDocumentClient). */
  documentOutput?: boolean;
}

type WriteOp =
  | { kind: 'put'; table: string; item: AttrMap; condition: boolean }
  | { kind: 'update'; table: string; key: AttrMap; input: any }
  | { kind: 'delete'; table: string; key: AttrMap }
  | { kind: 'check'; table: string; key: AttrMap };

export class CapacityMeter {
  enabled = true;
  private readonly infos = new Map<string, Promise<TableInfo>>();
  private readonly known = new Map<string, TableInfo>();
  /** table → key → the item as the meter believes it is stored. */
  private readonly items = new Map<string, Map<string, AttrMap>>();
  private readonly totals = new Map<string, TableTotals>();
  private readonly itemStats = new Map<string, HotSpot>();
  private readonly partitionStats = new Map<string, HotSpot>();
  /** table → item kind (key prefix; ` tx` transactional, ` failed` failed condition) → totals. */
  private readonly kindStats = new Map<string, Map<string, { writes: number; writeUnits: number }>>();
  private unsupported = 0;
  /** table + partition key → epoch → write units (when `epoch` is given). */
  private readonly partitionEpochs = new Map<string, { table: string; key: string; byEpoch: Map<string, number> }>();
  /** Labels each write with an epoch (e.g. the simulated day of the batch that makes it). */
  epoch?: () => string | undefined;

  /**
   * @param describe  key schema of a table (e.g. `describeWith(unmeteredClient)`), or a fixed map.
   * @param readBack  an unmetered consistent GetItem, used only for update expressions the
   *                  evaluator does not support.
   */
  constructor(
    private readonly describe: (table: string) => Promise<TableInfo>,
    private readonly readBack?: (table: string, key: AttrMap) => Promise<AttrMap | undefined>,
  ) {}

  static withTables(tables: Record<string, TableInfo>): CapacityMeter {
    return new CapacityMeter(async (t) => {
      const info = tables[t];
      if (!info) throw new Error(`no table ${t}`);
      return info;
    });
  }

  /** Installs the meter on a client (every DynamoDBDocumentClient made from it is metered too). */
  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!this.enabled) return next(args);
        const command = (context.commandName ?? '').replace(/Command$/, '');
        const doc = () =>
          (context as { __aws_sdk_context?: { features?: Record<string, string> } }).__aws_sdk_context?.features?.DDB_MAPPER === 'd';
        let result;
        try {
          result = await next(args);
        } catch (error) {
          await this.observe(command, args.input as Record<string, any>, { error });
          throw error;
        }
        await this.observe(command, args.input as Record<string, any>, {
          output: result.output as Record<string, any>,
          documentOutput: doc(),
        });
        return result;
      },
      // After serialisation: the document client's input is already marshalled here.
      { step: 'build', name: 'memberflowCapacityMeter', override: true },
    );
  }

  private async info(table: string): Promise<TableInfo> {
    const cached = this.known.get(table);
    if (cached) return cached;
    let p = this.infos.get(table);
    if (!p) {
      p = this.describe(table);
      this.infos.set(table, p);
    }
    const info = await p;
    this.known.set(table, info);
    return info;
  }

  private table(table: string): TableTotals {
    let t = this.totals.get(table);
    if (!t) this.totals.set(table, (t = emptyTotals()));
    return t;
  }

  private store(table: string): Map<string, AttrMap> {
    let s = this.items.get(table);
    if (!s) this.items.set(table, (s = new Map()));
    return s;
  }

  private charge(
    table: string,
    info: TableInfo,
    item: AttrMap,
    units: number,
    indexUnits: number,
    failed: boolean,
    size: number,
    kindTag = '',
  ): void {
    const t = this.table(table);
    t.writeUnits += units + indexUnits;
    t.indexWriteUnits += indexUnits;
    t.writes++;
    if (failed) t.failedConditions++;
    if (units > 1) t.multiUnitWrites++;
    t.maxItemBytes = Math.max(t.maxItemBytes, size);
    const key = keyString(info, item);
    const parts = key.split('\u0001');
    const kind = `${kindOf(parts[parts.length - 1].slice(1))}${kindTag}${failed ? ' failed' : ''}`;
    let kinds = this.kindStats.get(table);
    if (!kinds) this.kindStats.set(table, (kinds = new Map()));
    const k = kinds.get(kind) ?? { writes: 0, writeUnits: 0 };
    k.writes++;
    k.writeUnits += units + indexUnits;
    kinds.set(kind, k);
    const bump = (map: Map<string, HotSpot>, k: string, label: string) => {
      const h = map.get(k) ?? { table, key: label, writes: 0, writeUnits: 0, maxWriteUnits: 0 };
      h.writes++;
      h.writeUnits += units + indexUnits;
      h.maxWriteUnits = Math.max(h.maxWriteUnits, units + indexUnits);
      map.set(k, h);
    };
    bump(this.itemStats, `${table}\u0000${key}`, key.replaceAll('\u0001', ' | '));
    const pk = key.split('\u0001')[0];
    bump(this.partitionStats, `${table}\u0000${pk}`, pk);
    const epoch = this.epoch?.();
    if (epoch !== undefined) {
      const id = `${table}\u0000${pk}`;
      let p = this.partitionEpochs.get(id);
      if (!p) this.partitionEpochs.set(id, (p = { table, key: pk, byEpoch: new Map() }));
      p.byEpoch.set(epoch, (p.byEpoch.get(epoch) ?? 0) + units + indexUnits);
    }
  }

  /**
   * The partitions whose write units per event of the workload are highest in their busiest epoch
   * (needs `epoch`; `eventsPerEpoch` counts the events of the batches of each epoch).
   */
  peakShares(
    eventsPerEpoch: ReadonlyMap<string, number>,
    opts: { top?: number; table?: string; epochs?: (epoch: string) => boolean } = {},
  ): PeakShare[] {
    const out: PeakShare[] = [];
    for (const p of this.partitionEpochs.values()) {
      if (opts.table !== undefined && p.table !== opts.table) continue;
      let best: PeakShare | undefined;
      for (const [epoch, writeUnits] of p.byEpoch) {
        if (opts.epochs && !opts.epochs(epoch)) continue;
        const events = eventsPerEpoch.get(epoch) ?? 0;
        if (events === 0) continue;
        const share = writeUnits / events;
        if (!best || share > best.share) best = { table: p.table, key: p.key, epoch, writeUnits, events, share };
      }
      if (best) out.push(best);
    }
    return out.sort((a, b) => b.share - a.share).slice(0, opts.top ?? 5);
  }

  /** Applies one item write to the meter's copy and charges it. */
  private async write(op: WriteOp, factor: number, failed: boolean): Promise<void> {
    const info = await this.info(op.table);
    const store = this.store(op.table);
    const keyItem = op.kind === 'put' ? op.item : op.key;
    const key = keyString(info, keyItem);
    const before = store.get(key);
    const beforeSize = itemSize(before);
    if (failed || op.kind === 'check') {
      this.charge(op.table, info, keyItem, writeUnitsFor(beforeSize) * factor, 0, failed, beforeSize, factor > 1 ? ' tx' : '');
      return;
    }
    let after: AttrMap | undefined;
    if (op.kind === 'put') after = op.item;
    else if (op.kind === 'delete') after = undefined;
    else {
      const { UpdateExpression, ExpressionAttributeNames, ExpressionAttributeValues } = op.input;
      try {
        after = applyUpdate(before ?? { ...op.key }, UpdateExpression, ExpressionAttributeNames, ExpressionAttributeValues);
      } catch (error) {
        this.unsupported++;
        if (!this.readBack) throw error;
        after = await this.readBack(op.table, op.key);
      }
    }
    const afterSize = itemSize(after);
    if (after) store.set(key, after);
    else store.delete(key);
    this.charge(
      op.table,
      info,
      keyItem,
      writeUnitsFor(Math.max(beforeSize, afterSize)) * factor,
      indexWriteUnits(info, before, after),
      false,
      Math.max(beforeSize, afterSize),
      factor > 1 ? ' tx' : '',
    );
  }

  private async read(table: string, keys: AttrMap[], consistent: boolean, factor: number): Promise<void> {
    const info = await this.info(table);
    const store = this.store(table);
    const t = this.table(table);
    for (const k of keys) {
      t.readUnits += readUnitsFor(itemSize(store.get(keyString(info, k))), consistent) * factor;
      t.reads++;
    }
  }

  private async readPage(table: string, index: string | undefined, items: AttrMap[], consistent: boolean): Promise<void> {
    const info = await this.info(table);
    const store = this.store(table);
    let size = 0;
    for (const item of items) {
      // Base-table reads cost the whole item, even with a projection.
      const tracked = index === undefined ? store.get(keyString(info, item)) : undefined;
      size += Math.max(itemSize(tracked), itemSize(item));
    }
    const t = this.table(table);
    t.readUnits += readUnitsFor(size, consistent);
    t.reads += items.length;
  }

  /** Accounts one command (exported for tests; the middleware calls it). */
  async observe(command: string, input: Record<string, any>, outcome: Outcome): Promise<void> {
    const failedCondition = (outcome.error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
    if (outcome.error && !failedCondition && (outcome.error as { name?: string }).name !== 'TransactionCanceledException') return;
    const out = outcome.output ?? {};
    const asItem = (x: Record<string, unknown>) => (outcome.documentOutput ? itemFromDocument(x) : (x as AttrMap));
    switch (command) {
      case 'PutItem':
        return this.write(
          { kind: 'put', table: input.TableName, item: input.Item, condition: Boolean(input.ConditionExpression) },
          1,
          failedCondition,
        );
      case 'UpdateItem':
        return this.write({ kind: 'update', table: input.TableName, key: input.Key, input }, 1, failedCondition);
      case 'DeleteItem':
        return this.write({ kind: 'delete', table: input.TableName, key: input.Key }, 1, failedCondition);
      case 'BatchWriteItem': {
        for (const [table, requests] of Object.entries(input.RequestItems as Record<string, any[]>)) {
          const info = await this.info(table);
          const unprocessed = new Set(
            ((out.UnprocessedItems?.[table] ?? []) as any[]).map((r) =>
              keyString(info, asItem(r.PutRequest?.Item ?? r.DeleteRequest?.Key)),
            ),
          );
          for (const r of requests) {
            const item = r.PutRequest?.Item ?? r.DeleteRequest?.Key;
            if (unprocessed.has(keyString(info, item))) continue;
            await this.write(
              r.PutRequest ? { kind: 'put', table, item, condition: false } : { kind: 'delete', table, key: item },
              1,
              false,
            );
          }
        }
        return;
      }
      case 'TransactWriteItems': {
        // A cancelled transaction is charged like failed conditions: the items as they stand.
        const cancelled = Boolean(outcome.error);
        for (const action of input.TransactItems as any[]) {
          if (action.Put)
            await this.write({ kind: 'put', table: action.Put.TableName, item: action.Put.Item, condition: true }, 2, cancelled);
          else if (action.Update)
            await this.write(
              { kind: 'update', table: action.Update.TableName, key: action.Update.Key, input: action.Update },
              2,
              cancelled,
            );
          else if (action.Delete)
            await this.write({ kind: 'delete', table: action.Delete.TableName, key: action.Delete.Key }, 2, cancelled);
          else if (action.ConditionCheck)
            await this.write({ kind: 'check', table: action.ConditionCheck.TableName, key: action.ConditionCheck.Key }, 2, cancelled);
        }
        return;
      }
      case 'GetItem':
        return this.read(input.TableName, [input.Key], Boolean(input.ConsistentRead), 1);
      case 'BatchGetItem': {
        for (const [table, request] of Object.entries(input.RequestItems as Record<string, any>)) {
          const info = await this.info(table);
          const unprocessed = new Set(((out.UnprocessedKeys?.[table]?.Keys ?? []) as any[]).map((k) => keyString(info, asItem(k))));
          const keys = (request.Keys as AttrMap[]).filter((k) => !unprocessed.has(keyString(info, k)));
          await this.read(table, keys, Boolean(request.ConsistentRead), 1);
        }
        return;
      }
      case 'TransactGetItems':
        for (const action of input.TransactItems as any[]) await this.read(action.Get.TableName, [action.Get.Key], true, 2);
        return;
      case 'Query':
      case 'Scan':
        return this.readPage(
          input.TableName,
          input.IndexName,
          ((out.Items ?? []) as Record<string, unknown>[]).map(asItem),
          Boolean(input.ConsistentRead),
        );
      default:
        if (/^(Execute|BatchExecute)/.test(command)) this.unsupported++;
    }
  }

  /** Write units of `table` by item kind (the key's last part up to its first `#`; ` tx`, ` failed`). */
  kinds(table: string): Record<string, { writes: number; writeUnits: number }> {
    return Object.fromEntries([...(this.kindStats.get(table) ?? new Map())].map(([k, v]) => [k, { ...v }]));
  }

  /** Write statistics of every partition of `table`. */
  partitions(table: string): HotSpot[] {
    return [...this.partitionStats.values()].filter((h) => h.table === table).map((h) => ({ ...h }));
  }

  snapshot(top = 5): MeterSnapshot {
    const byTable = Object.fromEntries([...this.totals].map(([t, v]) => [t, { ...v }]));
    const sum = (f: (t: TableTotals) => number) => [...this.totals.values()].reduce((s, t) => s + f(t), 0);
    const hottest = (m: Map<string, HotSpot>) =>
      [...m.values()]
        .sort((a, b) => b.writeUnits - a.writeUnits || b.writes - a.writes)
        .slice(0, top)
        .map((h) => ({ ...h }));
    return {
      writeUnits: sum((t) => t.writeUnits),
      readUnits: sum((t) => t.readUnits),
      byTable,
      hottestItems: hottest(this.itemStats),
      hottestPartitions: hottest(this.partitionStats),
      unsupported: this.unsupported,
    };
  }

  /** Items written through the meter, for `verify`. */
  trackedTables(): string[] {
    return [...this.items.keys()];
  }

  /**
   * Scans each metered table with an unmetered client and compares each stored item's size with
   * the meter's copy: the evidence that the before-images the meter charged were right.
   */
  async verify(client: DynamoDBClient): Promise<{ items: number; mismatched: number; untracked: number; examples: string[] }> {
    let items = 0;
    let mismatched = 0;
    let untracked = 0;
    const examples: string[] = [];
    for (const table of this.trackedTables()) {
      const info = await this.info(table);
      const store = this.store(table);
      const seen = new Set<string>();
      let startKey: AttrMap | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey as never, ConsistentRead: true }));
        for (const item of page.Items ?? []) {
          items++;
          const key = keyString(info, item);
          seen.add(key);
          const mine = store.get(key);
          if (!mine) untracked++;
          else if (itemSize(mine) !== itemSize(item)) {
            mismatched++;
            if (examples.length < 5) examples.push(`${table} ${key}: meter ${itemSize(mine)} B, stored ${itemSize(item)} B`);
          }
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      for (const key of store.keys()) if (!seen.has(key)) mismatched++;
    }
    return { items, mismatched, untracked, examples };
  }
}

/** A partition's item kind from its hot-spot label (`S<partition key>`): the key up to its first `#`. */
export const partitionKind = (label: string): string => label.slice(1).replace(/#.*$/, '#');

/** An item's kind from its sort key (or its only key): the prefix up to its first `#`, else `item`. */
function kindOf(key: string): string {
  const at = key.indexOf('#');
  return at > 0 ? key.slice(0, at + 1) : 'item';
}

/** Key schema and indexes of a table, read with `client` (DescribeTable is not metered). */
export function describeWith(client: DynamoDBClient): (table: string) => Promise<TableInfo> {
  return async (table) => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (!Table) throw new Error(`no table ${table}`);
    const order = (ks: { AttributeName?: string; KeyType?: string }[] = []) =>
      [...ks].sort((a, b) => (a.KeyType === 'HASH' ? 0 : 1) - (b.KeyType === 'HASH' ? 0 : 1)).map((k) => k.AttributeName!);
    const indexes = [...(Table.GlobalSecondaryIndexes ?? []), ...(Table.LocalSecondaryIndexes ?? [])].map((ix) => ({
      name: ix.IndexName!,
      keys: order(ix.KeySchema),
      projection: (ix.Projection?.ProjectionType ?? 'ALL') as IndexInfo['projection'],
      include: ix.Projection?.NonKeyAttributes ?? [],
    }));
    return { keys: order(Table.KeySchema), indexes };
  };
}
