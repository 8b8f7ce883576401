// Typed event builders, generated from the consumer's own zod schemas: an event the consumer would
// quarantine is an InvalidEventError here, with the reason and detail the quarantine would record.
import { createHash, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { behaviourEvent, decodeRecord, type BehaviourEvent, type QuarantineReason } from '../shared/events/events';

type EventInput = z.input<typeof behaviourEvent>;
export type EventTypeName = EventInput['type'];

/** A builder's fields: the schema's input for that type, with `type` implied and `eventId`/`occurredAt` optional. */
export type EventFields<T extends EventTypeName> = Omit<Extract<EventInput, { type: T }>, 'type' | 'eventId' | 'occurredAt'> & {
  eventId?: string;
  /** Default: now. */
  occurredAt?: string;
  /** A natural key of the caller (e.g. a till's receipt number): makes the eventId deterministic. */
  key?: string;
};

/** An event ready to put: its bytes are exactly what the consumer will decode. */
export interface BuiltEvent {
  event: BehaviourEvent;
  partitionKey: string;
  data: Uint8Array;
}

export class InvalidEventError extends Error {
  constructor(
    readonly reason: QuarantineReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'InvalidEventError';
  }
}

const encoder = new TextEncoder();

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/**
 * The eventId when the caller gives none: derived from the natural key when there is one (a purchase's
 * orderId, a refund's orderId + refundId, or `key`), so a resend of the same business fact is the same
 * event to the consumer's idempotency; random otherwise.
 */
export function deterministicEventId(input: {
  type: string;
  memberId?: string;
  anonymousId?: string;
  orderId?: string;
  refundId?: string;
  key?: string;
}): string | undefined {
  const who = input.memberId ?? input.anonymousId ?? '';
  if (input.key !== undefined) return `${input.type}-${digest(input.type, who, input.key)}`;
  if (input.type === 'purchase' && input.orderId !== undefined) return `purchase-${digest('purchase', who, input.orderId)}`;
  if (input.type === 'refund' && input.orderId !== undefined && input.refundId !== undefined)
    return `refund-${digest('refund', who, input.orderId, input.refundId)}`;
  return undefined;
}

/** docs/events.md#behaviour-events: the partition key is `memberId`, else `anonymousId`. */
export function partitionKeyOf(event: { memberId?: unknown; anonymousId?: unknown }): string | undefined {
  if (typeof event.memberId === 'string' && event.memberId) return event.memberId;
  if (typeof event.anonymousId === 'string' && event.anonymousId) return event.anonymousId;
  return undefined;
}

/** Validates a complete event exactly as the consumer does and encodes it. */
export function buildEvent(input: EventInput, now: number = Date.now()): BuiltEvent {
  const data = encoder.encode(JSON.stringify(input));
  const decoded = decodeRecord(data, now);
  if (!decoded.ok) throw new InvalidEventError(decoded.reason, decoded.detail);
  const partitionKey = partitionKeyOf(input);
  if (!partitionKey) throw new InvalidEventError('invalid_event', 'memberId: required');
  return { event: decoded.event as BehaviourEvent, partitionKey, data };
}

function builder<T extends EventTypeName>(type: T) {
  return (fields: EventFields<T>, now: number = Date.now()): BuiltEvent => {
    const { key, ...rest } = fields as EventFields<T> & Record<string, unknown>;
    const eventId =
      (rest.eventId as string | undefined) ?? deterministicEventId({ ...(rest as object), type, key } as never) ?? randomUUID();
    const occurredAt = (rest.occurredAt as string | undefined) ?? new Date(now).toISOString();
    return buildEvent({ ...rest, eventId, type, occurredAt } as EventInput, now);
  };
}

/** The behaviour event types, read from the schema itself. */
export const EVENT_TYPES = behaviourEvent.options.map((o) => o.shape.type.value) as EventTypeName[];

export type EventBuilders = { [T in EventTypeName]: (fields: EventFields<T>, now?: number) => BuiltEvent };

/** `events.purchase({...})`, `events.app_open({...})`, … one builder per event type of the schema. */
export const events = Object.fromEntries(EVENT_TYPES.map((type) => [type, builder(type)])) as unknown as EventBuilders;
