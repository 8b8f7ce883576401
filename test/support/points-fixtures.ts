// The programmes, day and tier indexes that the points and tiers unit tests share.
import { dayNumber } from '../../shared/days/days';
import { purchasePoints } from '../../shared/points/points';
import { defaultProgram } from '../../shared/programme/load';
import { parseProgram } from '../../shared/programme/schema';

export const P = defaultProgram();
/** The default programme with balance-based downgrades. */
export const balance = parseProgram({ downgradePolicy: 'balance_based' });
export const line = (amountCents: number, category = 'fresh', sku = `sku-${amountCents}-${category}`) => ({ sku, category, amountCents });
/** Points of one store purchase of one line. */
export const earn = (amountCents: number, channel = 'store') => purchasePoints(P, { channel, lines: [line(amountCents)] }).points;
export const D = dayNumber('2026-11-23');
export const MEMBER = 0;
export const SILVER = 1;
export const GOLD = 2;
export const PLATINUM = 3;
