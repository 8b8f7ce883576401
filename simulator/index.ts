export {
  ACQUISITION_CHANNELS,
  CATEGORIES,
  eventsToJsonLines,
  GIFT_CARD_CATEGORY,
  PAGE_VIEW_EVENTS_PER_SESSION,
  simulate,
  SIMULATE_DEFAULTS,
  type SimulateOptions,
} from './simulate';
export { Rng } from './rng';
