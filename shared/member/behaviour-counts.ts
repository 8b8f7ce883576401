// The daily counters one behaviour event adds by its type alone (launches, page views, sessions).
import { C } from '../metrics/catalogue';
import { bump, sessionBucket, type Contribution } from '../metrics/contribution';
import type { StreamEvent } from '../events/events';

export function countEvent(contribution: Contribution, event: StreamEvent, day: number): void {
  switch (event.type) {
    case 'app_open':
      bump(contribution, day, C.launches);
      break;
    case 'page_view':
      bump(contribution, day, C.pageViews);
      break;
    case 'session_end': {
      bump(contribution, day, C.sessions);
      bump(contribution, day, C.sessionSeconds, event.durationSeconds);
      const bucket = sessionBucket(event.pageViews);
      if (bucket >= 0) bump(contribution, day, C.b0 + bucket);
      break;
    }
    default:
      break;
  }
}
