// Job commands are signed (docs/events.md#commands-from-the-daily-jobs): the events stream is open
// to every producer, so the consumer applies a command (tier_review, status_check, rfm_update,
// coins_day) only with a valid HMAC-SHA256 of the command made with the stack's command key, which
// only the daily jobs and the consumer can read. A forged or altered command is quarantined.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../audit/canonical';
import type { JobCommand } from '../events/events';

/** Bumped when what is signed changes, so an old signature can never verify a new meaning. */
const CONTEXT = 'memberflow-command-v1\n';

/** What is signed: a job command, or an identity command the consumer puts for another owner. */
export type SignableCommand = JobCommand | { type: 'identity_link' | 'identity_forward'; sig?: string };

export interface CommandSigner {
  /** The command with its `sig` (hex HMAC over the canonical JSON of everything else). */
  sign<T extends SignableCommand>(command: T): T & { sig: string };
  /** Whether `sig` is this key's signature of the command as parsed (its other fields). */
  verify(command: SignableCommand): boolean;
}

function mac(key: string, command: SignableCommand): Buffer {
  const { sig: _sig, ...fields } = command as SignableCommand & { sig?: string };
  return createHmac('sha256', key).update(CONTEXT).update(canonicalJson(fields)).digest();
}

export function commandSigner(key: string): CommandSigner {
  if (key.length < 32) throw new Error('the command key must be at least 32 characters');
  return {
    sign: (command) => ({ ...command, sig: mac(key, command).toString('hex') }),
    verify(command) {
      const sig = (command as SignableCommand & { sig?: string }).sig;
      if (typeof sig !== 'string' || !/^[0-9a-f]{64}$/.test(sig)) return false;
      return timingSafeEqual(Buffer.from(sig, 'hex'), mac(key, command));
    },
  };
}
