// The api's request dispatch: a request matched against the route table (functions/api/route-table.ts),
// its path parameters decoded, the route's answer turned into the HTTP response; 404 for no route,
// 405 for a known path with another method, 500 (message logged, nothing of the request) for a fault.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { StaticReply } from './console-assets';
import { errorResponse, HttpError, json, Reply } from './http';
import { pathPattern, ROUTES, type RouteHandler } from './route-table';
import type { RouteContext } from './routes';

const routes: [method: string, pattern: RegExp, handler: RouteHandler][] = ROUTES.map((r) => [r.method, pathPattern(r.path), r.handler]);

/** A malformed percent-encoding in the path is the caller's error, not ours. */
function decodePathParameter(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'invalid_parameter', `path: ${JSON.stringify(raw)} is not valid percent-encoding`);
  }
}

export async function routeRequest(
  event: APIGatewayProxyEventV2,
  context: () => RouteContext,
  onFault: (error: Error) => void,
): Promise<APIGatewayProxyStructuredResultV2> {
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
      const body = await route(context(), event, ...params);
      if (body instanceof StaticReply) return body.result; // the console's page and assets
      return body instanceof Reply ? json(body.status, body.body, body.headers) : json(200, body);
    }
    if (pathMatched) throw new HttpError(405, 'method_not_allowed', `${method} ${path}: method not allowed`);
    throw new HttpError(404, 'route_not_found', `${method} ${path}: no such route`);
  } catch (error) {
    if (error instanceof HttpError) return errorResponse(error);
    onFault(error as Error);
    return errorResponse(new HttpError(500, 'internal_error', 'the request could not be completed'));
  }
}
