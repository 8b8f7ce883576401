import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { pinLogicalId } from './ids';

/** S3 buckets: segment exports, failed stream batches, and the access-log target for both. */
export class Buckets extends Construct {
  readonly logs: s3.Bucket;
  readonly exports: s3.Bucket;
  readonly failedBatches: s3.Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Grant S3 log delivery through a bucket policy, not the legacy LogDeliveryWrite ACL, so all
    // buckets can keep ACLs disabled (BucketOwnerEnforced). Must be set before children exist.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    // Not access-logged itself (that would loop); cdk-nag's S1 already accepts a bucket that is
    // another bucket's log destination, so there is nothing to acknowledge.
    this.logs = new s3.Bucket(this, 'AccessLogsBucket', {
      ...secure(),
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });

    this.exports = new s3.Bucket(this, 'ExportsBucket', {
      ...secure(),
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 'exports/',
      // Exports are short-lived downloads (pre-signed URLs); keep them a month at most.
      lifecycleRules: [{ expiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    this.failedBatches = new s3.Bucket(this, 'FailedBatchesBucket', {
      ...secure(),
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 'failed-batches/',
      // Long enough to investigate and replay a failed batch.
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    pinLogicalId(this.exports, 'ExportsBucket');
    pinLogicalId(this.failedBatches, 'FailedBatchesBucket');
  }
}

function secure(): s3.BucketProps {
  return {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    removalPolicy: RemovalPolicy.RETAIN,
  };
}
