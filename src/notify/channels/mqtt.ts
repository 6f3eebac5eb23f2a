import { readFileSync } from 'node:fs';
import type { MqttConfig } from '../../config/mqtt-schema.js';
import { eventEntityDiscovery } from '../../integrations/mqtt/discovery.js';
import { eventPayload, type Channel, type OutgoingMessage } from './channel.js';
import { MqttSendLink } from './mqtt-send-link.js';
import { mqttChannelSettings, type MqttChannelConfig } from './mqtt-settings.js';

/**
 * What a subscriber receives: the event as webhooks get it, with `event_type` first (the key Home Assistant's MQTT
 * `event` entity reads). `message_id` is the queue's id for this message, the same on every resend: QoS 1 is
 * at-least-once, so a consumer that must not act twice drops an id it has seen.
 */
export function mqttEventPayload(m: OutgoingMessage): Record<string, unknown> {
  return { event_type: m.event.type, ...eventPayload(m.event, m.id) };
}

export interface MqttChannelDeps {
  /** The `mqtt:` section, whose broker a channel without `url` uses. */
  readonly section?: MqttConfig | undefined;
  /** The appliance's name in Home Assistant; default the host name (as the mqtt part's). */
  readonly appliance?: string;
  readonly idleMs?: number;
}

/** Each notification published (QoS 1, not retained) to one topic; delivered when the broker acknowledged it. */
export function mqttChannel(c: MqttChannelConfig, deps: MqttChannelDeps = {}): Channel {
  const s = mqttChannelSettings(c, deps.section, deps.appliance);
  const d = s.discovery;
  const announce = d === null ? [] : [eventEntityDiscovery(d.topics, d.appliance, c.name, s.topic, d.eventTypes)];
  const link = new MqttSendLink({
    url: s.url,
    clientId: s.clientId,
    username: s.username,
    password: s.password,
    // Read when the channel is built (at start), as the mqtt part reads its CA.
    ca: s.caFile === undefined ? undefined : readFileSync(s.caFile, 'utf8'),
    onConnect: announce.map((m) => ({ topic: m.topic, payload: JSON.stringify(m.payload) })),
    ...(deps.idleMs === undefined ? {} : { idleMs: deps.idleMs }),
  });
  return {
    name: c.name,
    kind: c.kind,
    config: c,
    close: () => {
      link.close();
    },
    send: (m: OutgoingMessage) => link.publish(s.topic, JSON.stringify(mqttEventPayload(m)), c.timeout_ms),
  };
}
