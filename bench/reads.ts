// Read units per API call of each read route (issue #16 item 3), on the tables a memberflow run
// filled: each route's handler runs with the stack's stores on a client that carries the run's
// meter (read units by DynamoDB's billing rules, bench/meter.ts: DynamoDB Local's own
// ConsumedCapacity does not follow them) and a counter of the DynamoDB requests it makes.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { setDocumentClient } from '../functions/adapters/clients';
import { stores } from '../functions/adapters/stores';
import { getCoinMetrics } from '../functions/api/coin-routes';
import {
  getDaily,
  getMember,
  getProgram,
  getRetention,
  getRetentionByChannel,
  getSessions,
  getWinback,
  type RouteContext,
} from '../functions/api/routes';
import { getSegments } from '../functions/api/segment-routes';
import { dayString } from '../shared/days/days';
import type { Program } from '../shared/programme/vocabulary';
import type { CapacityMeter } from './meter';

export interface RouteReads {
  route: string;
  /** The query the figures are for. */
  query: string;
  calls: number;
  /** Per call. */
  requests: number;
  readUnits: number;
}

type Call = (ctx: RouteContext, event: APIGatewayProxyEventV2, ...params: string[]) => Promise<unknown>;

/**
 * Calls each read route over the workload's days [first, last] (and `/metrics/daily` over 90 days
 * to its last), `/members/{id}` for each of `memberIds`. `client` must carry `meter`.
 */
export async function measureRouteReads(
  client: DynamoDBClient,
  meter: CapacityMeter,
  program: Program,
  days: { first: number; last: number },
  memberIds: readonly string[],
): Promise<RouteReads[]> {
  let requests = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      requests++;
      return next(args);
    },
    { step: 'initialize', name: 'benchRequestCounter' },
  );
  setDocumentClient(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }));
  const ctx: RouteContext = { program, stores: stores(), now: () => Date.parse(`${dayString(days.last)}T06:00:00Z`) };
  const range = (from: number) => ({ from: dayString(from), to: dayString(days.last) });
  const cases: [route: string, call: Call, query: Record<string, string>, params: string[][]][] = [
    ['GET /members/{memberId}', getMember, {}, memberIds.map((id) => [id])],
    ['GET /metrics/daily', getDaily, range(days.first), [[]]],
    ['GET /metrics/daily', getDaily, range(days.last - 89), [[]]],
    ['GET /metrics/retention', getRetention, range(days.first), [[]]],
    ['GET /metrics/retention-by-channel', getRetentionByChannel, range(days.first), [[]]],
    ['GET /metrics/sessions', getSessions, range(days.first), [[]]],
    ['GET /metrics/winback', getWinback, range(days.first), [[]]],
    ['GET /metrics/coins', getCoinMetrics, range(days.first), [[]]],
    ['GET /metrics/program', getProgram, {}, [[]]],
    ['GET /segments', getSegments, {}, [[]]],
  ];
  const out: RouteReads[] = [];
  const was = meter.enabled;
  meter.enabled = true;
  try {
    for (const [route, call, query, calls] of cases) {
      const units0 = meter.snapshot().readUnits;
      const requests0 = requests;
      const event = { queryStringParameters: query } as unknown as APIGatewayProxyEventV2;
      for (const params of calls) await call(ctx, event, ...params);
      out.push({
        route,
        query: new URLSearchParams(query).toString(),
        calls: calls.length,
        requests: (requests - requests0) / calls.length,
        readUnits: (meter.snapshot().readUnits - units0) / calls.length,
      });
    }
  } finally {
    meter.enabled = was;
    setDocumentClient(undefined);
  }
  return out;
}

/** The label of a row: its route, and the span when a route is measured over more than one. */
export function routeLabel(row: RouteReads, rows: readonly RouteReads[]): string {
  if (rows.filter((r) => r.route === row.route).length < 2) return row.route;
  const q = new URLSearchParams(row.query);
  const days = (Date.parse(q.get('to') ?? '') - Date.parse(q.get('from') ?? '')) / 86_400_000 + 1;
  return `${row.route} (${days} days)`;
}

/** Read units per call by route label (the bench JSON's `readUnitsPerRequest`). */
export const readUnitsByRoute = (rows: readonly RouteReads[]) =>
  Object.fromEntries(rows.map((r) => [routeLabel(r, rows), Math.round(r.readUnits * 10) / 10]));

export function formatRouteReads(rows: readonly RouteReads[]): string {
  const labels = rows.map((r) => routeLabel(r, rows));
  const width = Math.max(...labels.map((l) => l.length));
  return [
    `${'route'.padEnd(width)}  DynamoDB requests / call  read units / call`,
    ...rows.map(
      (r, i) =>
        `${labels[i].padEnd(width)}  ${String(Math.round(r.requests * 10) / 10).padStart(24)}  ${(Math.round(r.readUnits * 10) / 10).toFixed(1).padStart(17)}`,
    ),
  ].join('\n');
}
