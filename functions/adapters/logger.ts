// The one logger configuration of every handler: Powertools JSON lines, level and message first.
// Log only ids of resources and error messages, never member data.
import { Logger } from '@aws-lambda-powertools/logger';

/** A logger for one handler module (each keeps its own Lambda context). */
export function createLogger(): Logger {
  return new Logger({ serviceName: 'memberflow', logRecordOrder: ['level', 'message'] });
}
