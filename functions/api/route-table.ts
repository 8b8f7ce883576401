// The one list of the HTTP API's routes (docs/api.md, roles §9). The api function's router, the
// CDK HTTP API (routes and the viewer/operator IAM policies), the local HTTP server (route
// matching, tokens and roles) and the route tests all read it: adding a route is one entry here
// plus its handler.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { getConsoleAsset, getConsolePage } from './console-assets';
import { getExport, postSegmentExport } from './export-routes';
import { getAudit, getSubjectAccess, postErasure } from './privacy-routes';
import { getCoinLedger, getCoinMetrics, postAdjustment, postRedemption, postReversal } from './coin-routes';
import {
  getDaily,
  getMember,
  getProgram,
  getRetention,
  getRetentionByChannel,
  getSessions,
  getTierReviews,
  getWinback,
  type RouteContext,
} from './routes';
import { getQuarantine } from './quarantine-route';
import { postMerge } from './merge-routes';
import { getSegmentMembers, getSegments } from './segment-routes';

/** `viewer` reads aggregates only; `operator` may call every route (member data, exports, quarantine). */
export type Role = 'viewer' | 'operator';
export const ROLES: readonly Role[] = ['viewer', 'operator'];

/** Path parameters in the route's order (`{memberId}` → first argument after the event). */
export type RouteHandler = (ctx: RouteContext, event: APIGatewayProxyEventV2, ...params: string[]) => Promise<unknown>;

export interface Route {
  method: 'GET' | 'POST';
  /** API Gateway syntax: `{name}` one segment, `{name+}` the rest of the path. */
  path: string;
  /** The least role that may call it (an operator may call every route). */
  role: Role;
  handler: RouteHandler;
  /** Locally answered without a token (health and the console's static files); IAM in AWS as every route. */
  open?: true;
}

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/health', role: 'viewer', open: true, handler: async () => ({ status: 'ok' }) },
  { method: 'GET', path: '/members/{memberId}', role: 'operator', handler: getMember },
  { method: 'GET', path: '/members/{memberId}/data', role: 'operator', handler: getSubjectAccess },
  { method: 'POST', path: '/members/{memberId}/erasure', role: 'operator', handler: postErasure },
  { method: 'POST', path: '/members/{memberId}/merge', role: 'operator', handler: postMerge },
  { method: 'GET', path: '/audit', role: 'operator', handler: getAudit },
  { method: 'GET', path: '/metrics/daily', role: 'viewer', handler: getDaily },
  { method: 'GET', path: '/metrics/retention', role: 'viewer', handler: getRetention },
  { method: 'GET', path: '/metrics/retention-by-channel', role: 'viewer', handler: getRetentionByChannel },
  { method: 'GET', path: '/metrics/sessions', role: 'viewer', handler: getSessions },
  { method: 'GET', path: '/metrics/program', role: 'viewer', handler: getProgram },
  { method: 'GET', path: '/metrics/winback', role: 'viewer', handler: getWinback },
  { method: 'GET', path: '/metrics/tier-reviews', role: 'viewer', handler: getTierReviews },
  { method: 'GET', path: '/quarantine', role: 'operator', handler: getQuarantine },
  { method: 'POST', path: '/members/{memberId}/coins/redemptions', role: 'operator', handler: postRedemption },
  { method: 'POST', path: '/members/{memberId}/coins/redemptions/{redemptionId}/reversal', role: 'operator', handler: postReversal },
  { method: 'POST', path: '/members/{memberId}/coins/adjustments', role: 'operator', handler: postAdjustment },
  { method: 'GET', path: '/members/{memberId}/coins/ledger', role: 'operator', handler: getCoinLedger },
  { method: 'GET', path: '/metrics/coins', role: 'viewer', handler: getCoinMetrics },
  { method: 'GET', path: '/segments', role: 'viewer', handler: getSegments },
  { method: 'GET', path: '/segments/{id}/members', role: 'operator', handler: getSegmentMembers },
  { method: 'POST', path: '/segments/{id}/exports', role: 'operator', handler: postSegmentExport },
  { method: 'GET', path: '/exports/{exportId}', role: 'operator', handler: getExport },
  // The console is static and works with either token: it hides what a viewer may not call.
  { method: 'GET', path: '/', role: 'viewer', open: true, handler: getConsolePage },
  { method: 'GET', path: '/console/{proxy+}', role: 'viewer', open: true, handler: getConsoleAsset },
];

/** `GET /members/{memberId}`: API Gateway's route key. */
export const routeKey = (route: Pick<Route, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** The route's path as a regular expression: `{name}` captures one segment, `{name+}` the rest. */
export function pathPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((seg) => (/^\{\w+\+\}$/.test(seg) ? '(.+)' : /^\{\w+\}$/.test(seg) ? '([^/]+)' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

/** May a caller with `role` call `route`? */
export const allows = (role: Role, route: Pick<Route, 'role'>): boolean => role === 'operator' || route.role === 'viewer';

/** The routes a role may call. */
export const routesFor = (role: Role): Route[] => ROUTES.filter((r) => allows(role, r));
