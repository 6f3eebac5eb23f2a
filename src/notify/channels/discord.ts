import type { ChannelConfig } from '../../config/notify-schema.js';
import type { Channel } from './channel.js';
import { JSON_HEADERS, presetChannel } from './preset.js';

/** Discord's limit on `content`. */
const CONTENT_MAX = 2000;

/** A Discord webhook: `content` (title in bold, then the text), at most 2000 characters; the URL holds its token. */
export function discordChannel(c: Extract<ChannelConfig, { kind: 'discord' }>, fetchImpl?: typeof fetch): Channel {
  return presetChannel(c, {
    secrets: [c.url, ...c.url.split('/').filter((p) => p.length >= 20)],
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    build: (i) => ({
      url: c.url,
      headers: JSON_HEADERS,
      body: JSON.stringify({
        content: `**${i.title}**\n${i.text}`.slice(0, CONTENT_MAX),
        ...(c.username ? { username: c.username } : {}),
        // A UPS name or message must never ping @everyone.
        allowed_mentions: { parse: [] },
      }),
    }),
  });
}
