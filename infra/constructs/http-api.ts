import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROLES, ROUTES, routesFor, type Role } from '../../functions/api/route-table';
import { acknowledge, pinLogicalId } from './ids';

/** The route table's path in an `execute-api` ARN: each `{param}` / `{proxy+}` segment is `*`. */
export const iamPath = (routePath: string): string => routePath.replace(/\{[^}]+\}/g, '*');

export interface HttpApiProps {
  readonly handler: lambda.IFunction;
  /** Steady-state requests per second across the stage. */
  readonly rateLimit?: number;
  readonly burstLimit?: number;
}

/**
 * HTTP API (`HttpApi`): every route of the route table IAM (SigV4) authorised and proxied to the
 * api Lambda, and one managed policy per role granting `execute-api:Invoke` on exactly its routes.
 */
export class HttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  /** Attach to the callers' users or roles: `viewer` (aggregates) and `operator` (every route). */
  readonly policies: Record<Role, iam.ManagedPolicy>;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'HttpApi', {
      apiName: 'memberflow',
      description: 'memberflow operations API (IAM authorised)',
      defaultAuthorizer: new HttpIamAuthorizer(),
      // The default stage is created below so it can carry throttling and access logs.
      createDefaultStage: false,
    });
    pinLogicalId(this.api, 'HttpApi');

    // One integration and one invoke permission for the whole API rather than one per route.
    const integration = new HttpLambdaIntegration('ApiIntegration', props.handler, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      scopePermissionToRoute: false,
    });
    for (const route of ROUTES) {
      this.api.addRoutes({ path: route.path, methods: [apigw.HttpMethod[route.method]], integration });
    }

    const policy = (role: Role) => {
      const managed = new iam.ManagedPolicy(this, `${role[0].toUpperCase()}${role.slice(1)}Policy`, {
        description: `memberflow API, ${role} role: execute-api:Invoke on its routes`,
        statements: [
          new iam.PolicyStatement({
            actions: ['execute-api:Invoke'],
            // Any stage (`*`): the API has only $default.
            resources: routesFor(role).map((r) => this.api.arnForExecuteApi(r.method, iamPath(r.path), '*')),
          }),
        ],
      });
      for (const r of routesFor(role)) {
        acknowledge(
          managed,
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<HttpApi>/*/${r.method}${iamPath(r.path)}]`,
          `${r.method} ${r.path} only: \`*\` stands for the stage and the path parameters, not for other routes`,
        );
      }
      return managed;
    };
    this.policies = Object.fromEntries(ROLES.map((role) => [role, policy(role)])) as Record<Role, iam.ManagedPolicy>;

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 100, burstLimit: props.burstLimit ?? 200 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            caller: '$context.identity.caller',
            userArn: '$context.identity.userArn',
            sourceIp: '$context.identity.sourceIp',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
  }
}
