import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge, pinLogicalId } from './ids';

/**
 * The HMAC key of the daily jobs' commands (docs/events.md#commands-from-the-daily-jobs): the jobs
 * sign each command they put on EventsStream, the consumer applies only commands it can verify.
 * Anyone who may put records on the stream (every producer) cannot read it: only the jobs and the
 * consumer get `secretsmanager:GetSecretValue` on it. Handlers get its name in
 * `COMMAND_KEY_SECRET` and read it at cold start (locally a file instead).
 */
export class CommandKey extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'CommandKey', {
      // Named after the stack (not a generated name) so the local runtime can resolve the variable.
      secretName: `${Stack.of(this).stackName}-command-key`,
      description: 'memberflow: HMAC key with which the daily jobs sign their commands',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    pinLogicalId(this.secret, 'CommandKeySecret');
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'Rotated by replacing the value (a new deployment or put-secret-value), not by a rotation Lambda: ' +
        'a command signed with the old key and still on the stream is quarantined as forged_command and sent again by ' +
        "the job's next run (its commands are idempotent per day), so no scheduled rotation machinery is needed.",
    );
  }

  /** Exactly the read of this one secret (not DescribeSecret, which grantRead adds). */
  grantRead(fn: lambda.IFunction): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }));
  }
}
