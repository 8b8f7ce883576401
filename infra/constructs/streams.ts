import { Duration } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { pinLogicalId } from './ids';

/**
 * How long EventsStream keeps a record (docs/aws.md, "Record age and stream retention"). Kinesis
 * trims records at the retention period whatever the mapping's maximum record age, and a trimmed
 * record goes nowhere: no failure object. So the retention is far above the mapping's record age
 * (`MAX_RECORD_AGE`, 12 h): a shard stuck for the whole record age still has 6.5 days of records
 * behind it, and a batch the destination could not take can still be replayed from the stream.
 * Extended retention (up to 7 days) is billed per shard-hour, the price of that margin.
 */
export const EVENTS_RETENTION = Duration.days(7);

export interface StreamsProps {
  /** Provisioned shards of the behaviour events stream. */
  readonly eventShards: number;
  /** Provisioned shards of the outbound actions stream. */
  readonly actionShards: number;
}

/** The two Kinesis streams: behaviour events in, operational actions out. */
export class Streams extends Construct {
  readonly events: kinesis.Stream;
  readonly actions: kinesis.Stream;

  constructor(scope: Construct, id: string, props: StreamsProps) {
    super(scope, id);
    // aws/kinesis (AWS managed KMS key): encrypted at rest without a key policy to maintain,
    // and cdk-nag's KDS3 prefers it over a customer managed key.
    const common = {
      streamMode: kinesis.StreamMode.PROVISIONED,
      encryption: kinesis.StreamEncryption.MANAGED,
    };
    this.events = new kinesis.Stream(this, 'EventsStream', { ...common, shardCount: props.eventShards, retentionPeriod: EVENTS_RETENTION });
    // ActionsStream is the outbound interface; its consumers are outside memberflow and read it
    // within the day (the 24 h default).
    this.actions = new kinesis.Stream(this, 'ActionsStream', {
      ...common,
      shardCount: props.actionShards,
      retentionPeriod: Duration.hours(24),
    });
    pinLogicalId(this.events, 'EventsStream');
    pinLogicalId(this.actions, 'ActionsStream');
  }
}
