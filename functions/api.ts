// The api Lambda behind API Gateway (HTTP API, IAM auth) and the local HTTP server.
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { loadProgram } from '../shared/programme/load';
import { getExport, postSegmentExport } from './api/export-routes';
import { errorResponse, HttpError, json, Reply } from './api/http';
import { getDaily, getMember, getProgram, getWinback, getQuarantine, getRetention, getRetentionByChannel, getSessions, type RouteContext } from './api/routes';
import { getSegmentMembers, getSegments } from './api/segment-routes';
import { getConsoleAsset, getConsolePage, StaticReply } from './console/serve';
import { stores } from './adapters/stores';

const logger = new Logger({ serviceName: 'memberflow' });

type Handler = (ctx: RouteContext, event: APIGatewayProxyEventV2, ...params: string[]) => Promise<unknown>;

const routes: [method: string, pattern: RegExp, handler: Handler][] = [
  ['GET', /^\/health$/, async () => ({ status: 'ok' })],
  ['GET', /^\/members\/([^/]+)$/, getMember],
  ['GET', /^\/metrics\/daily$/, getDaily],
  ['GET', /^\/metrics\/retention$/, getRetention],
  ['GET', /^\/metrics\/retention-by-channel$/, getRetentionByChannel],
  ['GET', /^\/metrics\/sessions$/, getSessions],
  ['GET', /^\/metrics\/program$/, getProgram],
  ['GET', /^\/metrics\/winback$/, getWinback],
  ['GET', /^\/quarantine$/, getQuarantine],
  ['GET', /^\/segments$/, getSegments],
  ['GET', /^\/segments\/([^/]+)\/members$/, getSegmentMembers],
  ['POST', /^\/segments\/([^/]+)\/exports$/, postSegmentExport],
  ['GET', /^\/exports\/([^/]+)$/, getExport],
  ['GET', /^\/$/, getConsolePage],
  ['GET', /^\/console\/([^/]+)$/, getConsoleAsset],
];

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
    for (const [routeMethod, pattern, route] of routes) {
      const match = pattern.exec(path);
      if (!match) continue;
      if (routeMethod !== method) throw new HttpError(405, 'method_not_allowed', `${method} ${path}: method not allowed`);
      const params = match.slice(1).map(decodePathParameter);
      const body = await route({ program: loadProgram(), stores: stores(), now: Date.now }, event, ...params);
      if (body instanceof StaticReply) return body.result; // the console's page and assets
      return body instanceof Reply ? json(body.status, body.body) : json(200, body);
    }
    throw new HttpError(404, 'route_not_found', `${method} ${path}: no such route`);
  } catch (error) {
    if (error instanceof HttpError) return errorResponse(error);
    // Only the message: request data may carry member ids.
    logger.error('request failed', { route: event.routeKey, error: (error as Error).message });
    return errorResponse(new HttpError(500, 'internal_error', 'the request could not be completed'));
  }
};
