// The api Lambda behind API Gateway (HTTP API, IAM auth) and the local HTTP server: wires the
// programme and the stores to the router (functions/api/router.ts, over the route table).
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { loadProgram } from '../shared/programme/load';
import { routeRequest } from './api/router';
import { stores } from './adapters/stores';
import { createLogger } from './adapters/logger';

const logger = createLogger();

export const handler = async (event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  if (context) logger.addContext(context);
  return routeRequest(
    event,
    () => ({ program: loadProgram(), stores: stores(), now: Date.now }),
    // Only the message: request data may carry member ids.
    (error) => logger.error('request failed', { route: event.routeKey, error: error.message }),
  );
};
