export * from './programme';
export * from './earning';
export * from './lots';
export * from './ledger';
export * from './book';
export * from './outbox';
