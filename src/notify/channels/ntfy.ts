import type { ChannelConfig } from '../../config/notify-schema.js';
import type { EventSeverity } from '../../ups/event-severity.js';
import type { Channel } from './channel.js';
import { JSON_HEADERS, joinUrl, presetChannel } from './preset.js';

const PRIORITY: Readonly<Record<EventSeverity, number>> = { info: 3, warning: 4, critical: 5 };
const TAGS: Readonly<Record<EventSeverity, string>> = {
  info: 'information_source',
  warning: 'warning',
  critical: 'rotating_light',
};

/**
 * ntfy: a JSON publish to the server's root (topic, title, message, priority 1-5, tags), so a title with any
 * character works (headers would need RFC 2047). A token is sent as `Authorization: Bearer`.
 */
export function ntfyChannel(c: Extract<ChannelConfig, { kind: 'ntfy' }>, fetchImpl?: typeof fetch): Channel {
  return presetChannel(c, {
    secrets: c.token ? [c.token] : [],
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    build: (i) => ({
      url: joinUrl(c.server, '/'),
      headers: { ...JSON_HEADERS, ...(c.token ? { authorization: `Bearer ${c.token}` } : {}) },
      body: JSON.stringify({
        topic: c.topic,
        title: i.title,
        message: i.text,
        priority: c.priority ?? PRIORITY[i.severity],
        tags: [TAGS[i.severity]],
      }),
    }),
  });
}
