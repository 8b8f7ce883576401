// Why a reduction failed: a port (I/O) fails the batch, which Lambda retries; a rule that threw on
// one record rejects that record only (the reducer reduces the member again without it).
import type { LedgerPort } from './ledger';

/** An error of a port (I/O), as opposed to one of the rules: it must fail the batch, not the record. */
export class PortFailure extends Error {
  constructor(readonly original: unknown) {
    super('port failure');
  }
}

/** The ledger with its failures marked as port failures. */
export function guarded(ledger: LedgerPort): LedgerPort {
  return new Proxy(ledger, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (error) {
          throw new PortFailure(error);
        }
      };
    },
  });
}

/** A record the rules threw on (not a port): it is rejected and the member reduced again without it. */
export class RecordFailure extends Error {
  constructor(
    readonly seq: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}
