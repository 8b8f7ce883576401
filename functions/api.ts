// The api Lambda behind API Gateway (HTTP API, IAM auth) and the local HTTP server.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { loadProgram } from '../shared/programme/load';
import { errorResponse, HttpError, json, Reply } from './api/http';
import { pathPattern, ROUTES, type RouteHandler } from './api/route-table';
import { StaticReply } from './api/console-assets';
import { stores } from './adapters/stores';
import { createLogger } from './adapters/logger';

const logger = createLogger();

const routes: [method: string, pattern: RegExp, handler: RouteHandler][] = ROUTES.map((r) => [r.method, pathPattern(r.path), r.handler]);

/** A malformed percent-encoding in the path is the caller's error, not ours. */
function decodePathParameter(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'invalid_parameter', `path: ${JSON.stringify(raw)} is not valid percent-encoding`);
  }
}

export const handler = async (event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  if (context) logger.addContext(context);
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? '/';
  try {
    let pathMatched = false;
    for (const [routeMethod, pattern, route] of routes) {
      const match = pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (routeMethod !== method) continue;
      const params = match.slice(1).map(decodePathParameter);
      const body = await route({ program: loadProgram(), stores: stores(), now: Date.now }, event, ...params);
      if (body instanceof StaticReply) return body.result; // the console's page and assets
      return body instanceof Reply ? json(body.status, body.body, body.headers) : json(200, body);
    }
    if (pathMatched) throw new HttpError(405, 'method_not_allowed', `${method} ${path}: method not allowed`);
    throw new HttpError(404, 'route_not_found', `${method} ${path}: no such route`);
  } catch (error) {
    if (error instanceof HttpError) return errorResponse(error);
    // Only the message: request data may carry member ids.
    logger.error('request failed', { route: event.routeKey, error: (error as Error).message });
    return errorResponse(new HttpError(500, 'internal_error', 'the request could not be completed'));
  }
};
