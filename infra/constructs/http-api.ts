import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { pinLogicalId } from './ids';

const { GET, POST } = apigw.HttpMethod;

/** The contract's routes (§4), plus `/` and `/console/{proxy+}` for the future console. */
export const API_ROUTES: ReadonlyArray<readonly [apigw.HttpMethod, string]> = [
  [GET, '/health'],
  [GET, '/members/{memberId}'],
  [GET, '/metrics/daily'],
  [GET, '/metrics/retention'],
  [GET, '/metrics/sessions'],
  [GET, '/metrics/program'],
  [GET, '/metrics/winback'],
  [GET, '/metrics/retention-by-channel'],
  [GET, '/segments'],
  [GET, '/segments/{id}/members'],
  [POST, '/segments/{id}/exports'],
  [GET, '/exports/{exportId}'],
  [GET, '/quarantine'],
  [GET, '/'],
  [GET, '/console/{proxy+}'],
];

export interface HttpApiProps {
  readonly handler: lambda.IFunction;
  /** Steady-state requests per second across the stage. */
  readonly rateLimit?: number;
  readonly burstLimit?: number;
}

/** HTTP API (`HttpApi`): every route IAM (SigV4) authorised and proxied to the api Lambda. */
export class HttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

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
    for (const [method, path] of API_ROUTES) {
      this.api.addRoutes({ path, methods: [method], integration });
    }

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 100, burstLimit: props.burstLimit ?? 200 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          requestTime: '$context.requestTime',
          routeKey: '$context.routeKey',
          status: '$context.status',
          latencyMs: '$context.responseLatency',
          caller: '$context.identity.caller',
          userArn: '$context.identity.userArn',
          sourceIp: '$context.identity.sourceIp',
          integrationError: '$context.integrationErrorMessage',
        })),
      },
    });
  }
}
