import type { ChannelConfig, ChannelKind } from '../../config/notify-schema.js';
import { EVENT_SEVERITY } from '../../ups/event-severity.js';
import type { UpsEvent } from '../../ups/events.js';
import type { TemplateValues } from '../template.js';

/** One message on its way to one channel. `id` is the idempotency key receivers can dedupe on. */
export interface OutgoingMessage {
  readonly id: string;
  readonly channel: string;
  readonly event: UpsEvent;
}

/**
 * A way out. `send` resolves when the receiver has accepted the message and rejects with an UpsguardError
 * (NOTIFY_FAILED) whose message names no secret; every wait inside it is bounded by the channel's timeout.
 */
export interface Channel {
  readonly name: string;
  readonly kind: ChannelKind;
  readonly config: ChannelConfig;
  send(m: OutgoingMessage): Promise<void>;
  /** Releases what the channel holds (an SMTP pool). */
  close?(): void;
}

/** What a webhook receives by default: the event as the API shows it, with the message id. */
export function eventPayload(e: UpsEvent, messageId?: string): Record<string, unknown> {
  return {
    id: e.id,
    at: new Date(e.at).toISOString(),
    type: e.type,
    ups: e.ups,
    message: e.message,
    severity: EVENT_SEVERITY[e.type],
    ...(messageId === undefined ? {} : { message_id: messageId }),
  };
}

export function templateValues(m: OutgoingMessage): TemplateValues {
  return {
    'event.id': String(m.event.id),
    'event.type': m.event.type,
    'event.message': m.event.message,
    'event.severity': EVENT_SEVERITY[m.event.type],
    ups: m.event.ups === '' ? 'upsguard' : m.event.ups,
    at: new Date(m.event.at).toISOString(),
    message_id: m.id,
    channel: m.channel,
  };
}
