import type { ChannelConfig } from '../../config/notify-schema.js';
import type { EventSeverity } from '../../ups/event-severity.js';
import type { Channel } from './channel.js';
import { joinUrl, presetChannel } from './preset.js';

const PRIORITY: Readonly<Record<EventSeverity, number>> = { info: -1, warning: 0, critical: 1 };

/** Pushover's limits on message and title. */
const MESSAGE_MAX = 1024;
const TITLE_MAX = 250;

/** Pushover: a form POST to /1/messages.json with the app token and user key (as its API documents it). */
export function pushoverChannel(c: Extract<ChannelConfig, { kind: 'pushover' }>, fetchImpl?: typeof fetch): Channel {
  return presetChannel(c, {
    secrets: [c.token, c.user],
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    build: (i) => ({
      url: joinUrl(c.api_url, '/1/messages.json'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: c.token,
        user: c.user,
        title: i.title.slice(0, TITLE_MAX),
        message: i.text.slice(0, MESSAGE_MAX),
        priority: String(c.priority ?? PRIORITY[i.severity]),
        timestamp: String(Math.floor(i.message.event.at / 1000)),
      }).toString(),
    }),
  });
}
