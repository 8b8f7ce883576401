// memberflow's producer library: typed, validated behaviour events onto the events stream.
//
//   import { KinesisClient } from '@aws-sdk/client-kinesis';
//   import { Producer, events } from './producer';
//   const producer = new Producer({ client: new KinesisClient({}), streamName: 'EventsStream', aggregate: true });
//   await producer.send([events.purchase({ memberId: 'm1', channel: 'store', orderId: 'o-1', lines: [{ sku: 's', category: 'tea', amountCents: 1800 }] })]);
export { buildEvent, deterministicEventId, events, EVENT_TYPES, InvalidEventError, partitionKeyOf } from './events';
export type { BuiltEvent, EventBuilders, EventFields, EventTypeName } from './events';
export { isRetryable, Producer, SendError } from './producer';
export type { ProducerCounters, ProducerOptions, SendResult } from './producer';
export {
  MAX_RECORD_BYTES,
  MAX_REQUEST_BYTES,
  MAX_REQUEST_RECORDS,
  PAYLOAD_UNIT_BYTES,
  planRequests,
  RecordTooLargeError,
} from './batching';
export type { PutEntry, UserRecordInput } from './batching';
export { aggregateEntries, DEFAULT_AGGREGATE_BYTES } from './aggregator';
export { listOpenShards, ShardMap, shardFor } from './shard-map';
export type { ShardRange } from './shard-map';
export { Spool } from './spool';
