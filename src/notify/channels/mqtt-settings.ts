import { hostname } from 'node:os';
import type { MqttConfig } from '../../config/mqtt-schema.js';
import type { ChannelConfig } from '../../config/notify-schema.js';
import { ErrorCode, UpsguardError } from '../../errors.js';
import { haId, MqttTopics } from '../../integrations/mqtt/topics.js';
import { UPS_EVENT_TYPES } from '../../ups/events.js';

export type MqttChannelConfig = Extract<ChannelConfig, { kind: 'mqtt' }>;

/** Everything an `mqtt` channel needs to connect and publish, its own settings over the `mqtt:` section's. */
export interface MqttChannelSettings {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly caFile?: string | undefined;
  readonly clientId: string;
  readonly topic: string;
  /** The Home Assistant event entity to announce on each connection; null: none. */
  readonly discovery: {
    readonly topics: MqttTopics;
    readonly appliance: string;
    readonly eventTypes: readonly string[];
  } | null;
}

const DEFAULT_PREFIX = 'upsguard';
const DEFAULT_DISCOVERY_PREFIX = 'homeassistant';

/**
 * Without its own `url` the channel talks to the `mqtt:` section's broker with that section's credentials, CA,
 * prefixes and discovery switch: a home lab has one broker, and the events then sit beside the state topics that
 * Home Assistant already knows. With a `url` only the channel's own settings count (never half of each).
 */
export function mqttChannelSettings(
  c: MqttChannelConfig,
  section: MqttConfig | undefined,
  appliance: string = hostname(),
): MqttChannelSettings {
  const shared = c.url === undefined ? section : undefined;
  const url = c.url ?? section?.url;
  if (url === undefined) {
    throw new UpsguardError(
      ErrorCode.ConfigInvalid,
      `notify channel ${c.name}: an mqtt channel needs url, or an mqtt: section whose broker it uses`,
    );
  }
  const prefix = section?.topic_prefix ?? DEFAULT_PREFIX;
  const topics = new MqttTopics(prefix, c.discovery_prefix ?? section?.discovery_prefix ?? DEFAULT_DISCOVERY_PREFIX);
  const base = section?.client_id ?? `upsguard-${appliance}`;
  const discovery = c.discovery ?? section?.discovery ?? true;
  return {
    url,
    username: shared ? shared.username : c.username,
    password: shared ? shared.password : c.password,
    caFile: shared ? shared.ca_file : c.ca_file,
    // Its own client id: a second connection under the state client's id would throw that one off the broker.
    clientId: c.client_id ?? haId(`${base}-notify-${c.name}`).slice(0, 64),
    topic: c.topic ?? topics.events(),
    discovery: discovery ? { topics, appliance, eventTypes: c.events ?? UPS_EVENT_TYPES } : null,
  };
}
