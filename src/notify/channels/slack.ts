import type { ChannelConfig } from '../../config/notify-schema.js';
import type { Channel } from './channel.js';
import { JSON_HEADERS, presetChannel } from './preset.js';

/** Slack's mrkdwn needs &, < and > escaped; anything else is shown as written. */
function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack incoming webhook: `text` (title in bold, then the text); the URL holds its token. */
export function slackChannel(c: Extract<ChannelConfig, { kind: 'slack' }>, fetchImpl?: typeof fetch): Channel {
  return presetChannel(c, {
    secrets: [c.url, ...c.url.split('/').filter((p) => p.length >= 8)],
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    build: (i) => ({
      url: c.url,
      headers: JSON_HEADERS,
      body: JSON.stringify({ text: `*${slackEscape(i.title)}*\n${slackEscape(i.text)}` }),
    }),
  });
}
