import * as path from 'node:path';
import { type Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, pinLogicalId } from './ids';
import { BASE_NODE_OPTIONS, BUNDLE_BANNER, BUNDLE_MAIN_FIELDS, BUNDLE_MINIFY, BUNDLE_SOURCE_MAP, BUNDLE_TARGET } from '../bundling';

/** Metadata key the local runtime uses to find a function's handler file. */
export const ENTRY_METADATA = 'memberflow:entry';

export interface HandlerProps {
  /** Absolute path of the repository (for the entry, lock file and esbuild). */
  readonly repoRoot: string;
  /** Handler file relative to the repository root, e.g. `functions/api.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  /** Validated programme JSON, inlined at bundle time as `process.env.MEMBERFLOW_PROGRAM_JSON`. */
  readonly programJson?: string;
  /** V8 flags for NODE_OPTIONS (infra/runtime-flags.ts), after `--enable-source-maps`. */
  readonly v8Flags?: readonly string[];
}

/**
 * One Lambda handler: a NodejsFunction on nodejs22.x/arm64 with its own role and log group.
 * The construct id is also the function's pinned logical id (e.g. `ApiFunction`).
 */
export class Handler extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, logicalId: string, props: HandlerProps) {
    super(scope, logicalId);
    // An explicit role scoped to its own log group replaces AWSLambdaBasicExecutionRole
    // (a managed policy allowing logs:* on every log group).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `memberflow ${props.entry}`,
    });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(props.repoRoot, props.entry),
      handler: 'handler',
      projectRoot: props.repoRoot,
      depsLockFilePath: path.join(props.repoRoot, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup,
      // Stack traces point at the TypeScript sources (infra/bundling.ts: the bench bundles alike).
      environment: { ...props.environment, NODE_OPTIONS: [...BASE_NODE_OPTIONS, ...(props.v8Flags ?? [])].join(' ') },
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE_TARGET,
        mainFields: [...BUNDLE_MAIN_FIELDS],
        banner: BUNDLE_BANNER,
        minify: BUNDLE_MINIFY,
        sourceMap: BUNDLE_SOURCE_MAP,
        // Pin the SDK version we test with instead of the runtime's.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        define:
          props.programJson === undefined
            ? undefined
            : // Local bundling spawns esbuild without a shell, so the JS string literal needs no quoting.
              { 'process.env.MEMBERFLOW_PROGRAM_JSON': JSON.stringify(props.programJson) },
      },
    });
    const cfn = pinLogicalId(this.fn, logicalId);
    cfn.addMetadata(ENTRY_METADATA, props.entry);
    acknowledge(
      this.fn,
      'AwsSolutions-L1',
      'Pinned to nodejs22.x on purpose: the handlers and their dependencies are tested on Node 22 LTS; ' +
        'moving to a newer runtime is a deliberate, tested change.',
    );
  }
}
