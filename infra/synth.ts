import { App } from 'aws-cdk-lib';
import { MemberflowStack, type MemberflowStackProps } from './memberflow-stack';

export const STACK_NAME = 'Memberflow';

export interface SynthOptions {
  readonly programJson?: string;
  readonly timezone?: string;
}

/**
 * A fresh app + stack with esbuild bundling switched off (`aws:cdk:bundling-stacks: []`), so it
 * synthesises offline in well under a second. For tests and the local runtime, not for deployment.
 * CDK's built-in CloudFormation schema validation costs seconds per synth, so it is off unless
 * asked for (`cdk synth` through infra/app.ts always runs it).
 */
export function createStack(props: MemberflowStackProps = {}, opts: { cfnValidation?: boolean } = {}): MemberflowStack {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: opts.cfnValidation ?? false,
  });
  return new MemberflowStack(app, STACK_NAME, props);
}

/** The stack's CloudFormation template: what the local runtime builds its tables, streams,
 * mappings, functions and schedules from. */
export function synthTemplate(opts: SynthOptions = {}): Record<string, any> {
  const stack = createStack(opts);
  const assembly = (stack.node.root as App).synth();
  return assembly.getStackArtifact(stack.artifactId).template as Record<string, any>;
}
