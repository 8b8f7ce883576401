import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge, pinLogicalId } from './ids';

/**
 * The secret salt of the salted hashes that stand for erased members (tombstones, audit details,
 * member_erased actions). Generated once by Secrets Manager, never rotated (a new salt would make
 * existing tombstones unrecognisable) and retained: losing it would let erased members come back.
 * Handlers get its name in `ERASURE_SALT_SECRET` and read it at cold start (locally a file instead).
 */
export class ErasureSalt extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'ErasureSalt', {
      // Named after the stack (not a generated name) so the local runtime can resolve the variable.
      secretName: `${Stack.of(this).stackName}-erasure-salt`,
      description: 'memberflow: salt of the salted hashes of erased member ids',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pinLogicalId(this.secret, 'ErasureSaltSecret');
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'Not rotated on purpose: tombstones are keyed by hashes made with this salt; a rotated salt would no longer recognise erased members.',
    );
  }
}
