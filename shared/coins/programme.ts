/**
 * The programme's `coins` section (docs/rules.md#coins): what a coin is worth, how many a purchase earns
 * per tier, how long lots stay pending, when they expire, when members are told, and whether a
 * refund of spent coins may leave a debt.
 *
 * `CoinsSchema` is the zod schema the programme loader embeds under `coins`; `parseCoinsSection`
 * validates the section on its own and throws a {@link CoinsProgramError} whose message names every
 * bad field by its path (`programme.coins.earnRates.gold: must be a non-negative integer`).
 */
import { z } from 'zod';

export const DEFAULT_EARN_RATES: Readonly<Record<string, number>> = Object.freeze({
  member: 1,
  silver: 2,
  gold: 3,
  platinum: 5,
});

const nonNegInt = (def: number) =>
  z.int({ error: 'must be a non-negative integer' }).min(0, { error: 'must be a non-negative integer' }).default(def);
const posInt = (def: number) => z.int({ error: 'must be a positive integer' }).min(1, { error: 'must be a positive integer' }).default(def);

export const CoinsSchema = z
  .strictObject(
    {
      /** Money value of one coin in fen (1 → 100 coins = 1 yuan). */
      fenPerCoin: posInt(1),
      /** Coins per yuan of eligible spend, by the member's tier id when the purchase is applied. */
      earnRates: z
        .record(
          z.string().regex(/^[a-z0-9-]+$/, { error: 'must be a tier id ([a-z0-9-]+)' }),
          z.int({ error: 'must be a non-negative integer' }).min(0, { error: 'must be a non-negative integer' }),
          { error: 'must be an object { tierId: coins per yuan }' },
        )
        .default(() => ({ ...DEFAULT_EARN_RATES })),
      /** A lot becomes available on purchase day + pendingDays (the return window). */
      pendingDays: nonNegInt(7),
      /** A lot available on day A expires on A + expiryDays. */
      expiryDays: z
        .int({ error: 'must be a positive integer' })
        .min(1, { error: 'must be a positive integer' })
        .max(36_500, { error: 'must be at most 36500 (100 years)' })
        .default(365),
      /** `coins_expiring` goes out on expiresOn − expiryNoticeDays. */
      expiryNoticeDays: nonNegInt(30),
      /** Whether a refund of coins already spent leaves a debt that later earnings repay. */
      allowDebt: z.boolean({ error: 'must be true or false' }).default(true),
    },
    { error: 'must be an object' },
  )
  .superRefine((c, ctx) => {
    if (c.expiryNoticeDays >= c.expiryDays) {
      ctx.addIssue({ code: 'custom', path: ['expiryNoticeDays'], message: 'must be less than expiryDays' });
    }
  })
  .prefault({});

export interface CoinsProgram {
  fenPerCoin: number;
  earnRates: Record<string, number>;
  pendingDays: number;
  expiryDays: number;
  expiryNoticeDays: number;
  allowDebt: boolean;
}

// Compile-time check that the schema's output and the declared type agree.
const _check: (c: z.output<typeof CoinsSchema>) => CoinsProgram = (c) => c;
void _check;

export class CoinsProgramError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'CoinsProgramError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let s = 'programme.coins';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : `.${String(k)}`;
  return s;
}

/** Validates a `coins` section on its own (undefined → the defaults). */
export function parseCoinsSection(json: unknown): CoinsProgram {
  const r = CoinsSchema.safeParse(json);
  if (r.success) return r.data;
  const problems: string[] = [];
  for (const issue of r.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) problems.push(`${formatPath([...issue.path, k])}: unknown field`);
    } else {
      problems.push(`${formatPath(issue.path)}: ${issue.message}`);
    }
  }
  throw new CoinsProgramError(problems);
}

/**
 * Problems with the rates against the programme's tiers: every rate names a tier that exists.
 * A tier without a rate earns no coins (so a programme with its own tier ids and no `coins`
 * section loads; it earns coins only at the default ids it shares).
 */
export function earnRateProblems(coins: CoinsProgram, tierIds: readonly string[], explicit: boolean): string[] {
  if (!explicit) return [];
  return Object.keys(coins.earnRates)
    .filter((id) => !tierIds.includes(id))
    .map((id) => `${formatPath(['earnRates', id])}: unknown tier "${id}"`);
}

/** Coins per yuan for a tier (0 for a tier without a rate). */
export function earnRate(coins: CoinsProgram, tierId: string): number {
  return Object.hasOwn(coins.earnRates, tierId) ? coins.earnRates[tierId] : 0;
}
