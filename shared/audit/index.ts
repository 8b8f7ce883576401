export { canonicalJson, type Json } from './canonical';
export { canonicalEntry, entryHash, GENESIS_HASH, nextEntry, type AuditEntry, type AuditInput } from './entry';
export { MemoryAuditLog } from './memory-audit-log';
export type { AuditPage, AuditPort, AuditQuery } from './port';
export { ChainVerifier, verifyChain, type BreakReason, type VerifyResult } from './verify';
