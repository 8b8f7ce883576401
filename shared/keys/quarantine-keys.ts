// QuarantineTable: pk `q#<UTC day>`, sk `<receivedAt ISO>#<hash of the stream position>`.
export const QUARANTINE_TTL_DAYS = 30;
export const quarantineDayKey = (utcDay: string) => `q#${utcDay}`;
export const quarantineSortKey = (receivedAt: string, positionHash: string) => `${receivedAt}#${positionHash}`;
