export { ACQUISITION_CHANNELS, CATEGORIES, GIFT_CARD_CATEGORY, PAGE_VIEW_EVENTS_PER_SESSION } from './model';
export { SIMULATE_DEFAULTS, type SimulateOptions } from './options';
export { eventsToJsonLines, simulate } from './simulate';
export { Rng } from './rng';
export { withIdentities, type IdentityOptions } from './identity';
export { checkoutRedemptions, coinsToRedeem, type CheckoutRedemption, type RedeemHabit } from './checkout';
export { operatorMerges, type MergeOptions, type OperatorMerge } from './merges';
