import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { pinLogicalId } from './ids';

/** The GSI that lists audit entries by time (`GET /audit?from=&to=`). */
export const AUDIT_TIME_INDEX = 'AuditTimeIndex';

/**
 * The append-only audit log (docs/api.md#audit-log): one hash chain, pk `chain` (S, always `main`), sk `seq`
 * (N). An append is a put conditional on the seq not existing yet, so two concurrent appenders
 * never both take the same seq (no fork) and nobody writes seq n+1 before n exists (no gap).
 * Encrypted, point-in-time recovery, retained on stack deletion. Who may write it is decided by
 * the grants in the stack: only `dynamodb:PutItem` (never Update/Delete) for the writers.
 */
export class AuditTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'AuditTable', {
      partitionKey: { name: 'chain', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'seq', type: dynamodb.AttributeType.NUMBER },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    pinLogicalId(this.table, 'AuditTable');
    // A GSI rather than an LSI: an LSI would cap the single chain partition at 10 GB.
    this.table.addGlobalSecondaryIndex({
      indexName: AUDIT_TIME_INDEX,
      partitionKey: { name: 'chain', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'at', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}
