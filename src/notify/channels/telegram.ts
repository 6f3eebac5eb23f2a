import type { ChannelConfig } from '../../config/notify-schema.js';
import type { Channel } from './channel.js';
import { JSON_HEADERS, joinUrl, presetChannel } from './preset.js';

/** Telegram's limit on a message's text. */
const TEXT_MAX = 4096;

/** Telegram Bot API sendMessage: the bot token is in the URL path (so it is a secret there), plain text. */
export function telegramChannel(c: Extract<ChannelConfig, { kind: 'telegram' }>, fetchImpl?: typeof fetch): Channel {
  return presetChannel(c, {
    secrets: [c.token, encodeURIComponent(c.token)],
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    build: (i) => ({
      url: joinUrl(c.api_url, `/bot${encodeURIComponent(c.token)}/sendMessage`),
      headers: JSON_HEADERS,
      body: JSON.stringify({
        chat_id: c.chat_id,
        text: `${i.title}\n${i.text}`.slice(0, TEXT_MAX),
        disable_notification: i.severity === 'info',
      }),
    }),
  });
}
