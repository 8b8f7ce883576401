import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TIER_REVIEW_INDEX } from '../../shared/keys/members-keys';
import { pinLogicalId } from './ids';

const S = dynamodb.AttributeType.STRING;
const N = dynamodb.AttributeType.NUMBER;

/** Name of the sparse index the tier-review job queries by due day. */
export { TIER_REVIEW_INDEX };

/** The DynamoDB tables; keys follow docs/architecture.md. */
export class Tables extends Construct {
  readonly members: dynamodb.Table;
  readonly ledger: dynamodb.Table;
  readonly metrics: dynamodb.Table;
  readonly quarantine: dynamodb.Table;
  readonly exports: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.members = this.table('MembersTable', { partitionKey: { name: 'memberId', type: S } });
    // Sparse (only non-base tiers carry rvb/rv) and KEYS_ONLY, so a member write that does not
    // move the review day costs no index write; the job reads full items afterwards.
    this.members.addGlobalSecondaryIndex({
      indexName: TIER_REVIEW_INDEX,
      partitionKey: { name: 'rvb', type: S },
      sortKey: { name: 'rv', type: N },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    this.ledger = this.table('LedgerTable', {
      partitionKey: { name: 'memberId', type: S },
      sortKey: { name: 'sk', type: S },
    });
    this.metrics = this.table('MetricsTable', {
      partitionKey: { name: 'pk', type: S },
      sortKey: { name: 'sk', type: S },
    });
    this.quarantine = this.table(
      'QuarantineTable',
      {
        partitionKey: { name: 'pk', type: S },
        sortKey: { name: 'sk', type: S },
      },
      { timeToLiveAttribute: 'expiresAt' },
    );
    this.exports = this.table('ExportsTable', { partitionKey: { name: 'exportId', type: S } });
  }

  private table(
    logicalId: string,
    keys: Pick<dynamodb.TableProps, 'partitionKey' | 'sortKey'>,
    extra: Partial<dynamodb.TableProps> = {},
  ): dynamodb.Table {
    const table = new dynamodb.Table(this, logicalId, {
      ...keys,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // AWS managed KMS key (aws/dynamodb): encrypted at rest, no key grants for the handlers.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      ...extra,
    });
    pinLogicalId(table, logicalId);
    return table;
  }
}
