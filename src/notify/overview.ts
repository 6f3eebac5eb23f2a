import type { ChannelConfig, NotifyConfig } from '../config/notify-schema.js';
import type { NotifyQueue, QueuedMessage } from '../store/notify-queue.js';
import { urlForLog } from '../util/redact.js';
import type { NotifyChannelView, NotifyMessageView, NotifyOverview } from '../web/api-types/notify.js';
import type { Channel } from './channels/channel.js';
import { brokerForLog } from './channels/mqtt-send-link.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Where a channel sends, as the page may show it: never a token, a password or a URL's path secrets or query. */
export function channelTarget(c: ChannelConfig): string {
  const origin = (url: string): string => {
    try {
      return new URL(urlForLog(url)).origin;
    } catch {
      return 'invalid URL';
    }
  };
  switch (c.kind) {
    case 'webhook':
      return urlForLog(c.url);
    case 'ntfy':
      return `${origin(c.server)} topic ${c.topic}`;
    case 'gotify':
      return origin(c.server);
    case 'discord':
    case 'slack':
      // The path of these URLs is the token.
      return origin(c.url);
    case 'telegram':
      return `${origin(c.api_url)} chat ${c.chat_id}`;
    case 'pushover':
      return origin(c.api_url);
    case 'email':
      return `${c.to.join(', ')} via ${c.host}`;
    case 'mqtt':
      return `${c.url === undefined ? 'the mqtt: broker' : brokerForLog(c.url)} topic ${c.topic ?? '<prefix>/events'}`;
    case 'command':
      return c.path;
  }
}

function messageView(m: QueuedMessage): NotifyMessageView {
  return {
    id: m.id,
    channel: m.channel,
    eventType: m.event.type,
    ups: m.event.ups,
    state: m.state,
    attempts: m.attempts,
    createdAt: new Date(m.createdAt).toISOString(),
    nextAttemptAt: m.state === 'pending' ? new Date(m.nextAt).toISOString() : null,
    doneAt: iso(m.doneAt),
    lastError: m.lastError,
  };
}

export function notifyOverview(
  channels: readonly Channel[],
  queue: NotifyQueue,
  cfg: Pick<NotifyConfig, 'expire_after_s' | 'retry_max_s'>,
): NotifyOverview {
  const stats = new Map(queue.stats().map((s) => [s.channel, s]));
  const views: NotifyChannelView[] = channels.map((ch) => {
    const c = ch.config;
    const s = stats.get(c.name);
    return {
      name: c.name,
      kind: c.kind,
      target: channelTarget(c),
      events: c.events ?? null,
      minSeverity: c.min_severity,
      quietHours: c.quiet_hours ?? null,
      pending: s?.pending ?? 0,
      failing: (s?.failing ?? 0) > 0,
      expired: s?.expired ?? 0,
      lastDeliveredAt: iso(s?.lastDeliveredAt ?? null),
      lastError: s?.lastError ?? null,
      oldestPendingAt: iso(s?.oldestPendingAt ?? null),
    };
  });
  return {
    channels: views,
    recent: queue.recent(50).map(messageView),
    expireAfterS: cfg.expire_after_s,
    retryMaxS: cfg.retry_max_s,
  };
}
