import { CfnResource, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Pin the CloudFormation logical id of a construct's default resource. The local runtime reads
 * resources from the synthesised template by these ids, so they must not carry CDK's hash suffix.
 */
export function pinLogicalId(construct: IConstruct, logicalId: string): CfnResource {
  const cfn = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(cfn instanceof CfnResource)) {
    throw new Error(`${construct.node.path} has no CloudFormation resource to pin as ${logicalId}`);
  }
  cfn.overrideLogicalId(logicalId);
  return cfn;
}

/** Acknowledge one cdk-nag finding (v3 API) on a construct, always with a reason. */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}
