import { Duration } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { pinLogicalId } from './ids';

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
      retentionPeriod: Duration.hours(24),
    };
    this.events = new kinesis.Stream(this, 'EventsStream', { ...common, shardCount: props.eventShards });
    this.actions = new kinesis.Stream(this, 'ActionsStream', { ...common, shardCount: props.actionShards });
    pinLogicalId(this.events, 'EventsStream');
    pinLogicalId(this.actions, 'ActionsStream');
  }
}
