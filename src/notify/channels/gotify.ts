import type { ChannelConfig } from '../../config/notify-schema.js';
import type { EventSeverity } from '../../ups/event-severity.js';
import type { Channel } from './channel.js';
import { JSON_HEADERS, joinUrl, presetChannel } from './preset.js';

const PRIORITY: Readonly<Record<EventSeverity, number>> = { info: 4, warning: 6, critical: 8 };

/** Gotify: POST /message with the application token in `X-Gotify-Key` (not in the query, where proxies log it). */
export function gotifyChannel(c: Extract<ChannelConfig, { kind: 'gotify' }>, fetchImpl?: typeof fetch): Channel {
  return presetChannel(c, {
    secrets: [c.token],
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    build: (i) => ({
      url: joinUrl(c.server, '/message'),
      headers: { ...JSON_HEADERS, 'x-gotify-key': c.token },
      body: JSON.stringify({
        title: i.title,
        message: i.text,
        priority: c.priority ?? PRIORITY[i.severity],
        extras: { 'client::display': { contentType: 'text/plain' } },
      }),
    }),
  });
}
