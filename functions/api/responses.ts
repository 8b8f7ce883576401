// The HTTP API's answers as types (docs/api.md): what the route handlers return, derived from them so
// they cannot drift. The console (console/app.ts) imports these type-only; nothing here runs.
import type { getCoinLedger, getCoinMetrics } from './coin-routes';
import type { getExport } from './export-routes';
import type { getDaily, getMember, getProgram, getRetention, getRetentionByChannel, getSessions, getWinback } from './routes';
import type { getSegmentMembers, getSegments } from './segment-routes';

type Answer<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

/** `GET /members/{memberId}` */
export type MemberResponse = Answer<typeof getMember>;
/** `GET /metrics/daily` */
export type DailyResponse = Answer<typeof getDaily>;
/** `GET /metrics/retention` */
export type RetentionResponse = Answer<typeof getRetention>;
/** `GET /metrics/retention-by-channel` */
export type RetentionByChannelResponse = Answer<typeof getRetentionByChannel>;
/** `GET /metrics/sessions` */
export type SessionsResponse = Answer<typeof getSessions>;
/** `GET /metrics/program` */
export type ProgramResponse = Answer<typeof getProgram>;
/** `GET /metrics/winback` */
export type WinbackResponse = Answer<typeof getWinback>;
/** `GET /metrics/coins` */
export type CoinMetricsResponse = Answer<typeof getCoinMetrics>;
/** `GET /members/{memberId}/coins/ledger` */
export type CoinLedgerResponse = Answer<typeof getCoinLedger>;
/** `GET /quarantine` */
export type { QuarantineResponse } from './quarantine-route';
/** `GET /segments` */
export type SegmentsResponse = Answer<typeof getSegments>;
/** `GET /segments/{id}/members` */
export type SegmentMembersResponse = Answer<typeof getSegmentMembers>;
/** `GET /exports/{exportId}` */
export type ExportResponse = Answer<typeof getExport>;
/** `POST /segments/{id}/exports` (202; the handler wraps it in a Reply for the status code) */
export interface ExportStartedResponse {
  exportId: string;
  status: 'pending';
}
