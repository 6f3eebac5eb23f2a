import type { spawn } from 'node:child_process';
import type { MqttConfig } from '../../config/mqtt-schema.js';
import type { ChannelConfig } from '../../config/notify-schema.js';
import type { Channel } from './channel.js';
import { commandChannel } from './command.js';
import { discordChannel } from './discord.js';
import { emailChannel } from './email.js';
import { gotifyChannel } from './gotify.js';
import { mqttChannel } from './mqtt.js';
import { ntfyChannel } from './ntfy.js';
import { pushoverChannel } from './pushover.js';
import { slackChannel } from './slack.js';
import { telegramChannel } from './telegram.js';
import { webhookChannel } from './webhook.js';

/** Injectable for tests. */
export interface ChannelDeps {
  readonly fetch?: typeof fetch;
  readonly spawn?: typeof spawn;
  /** The `mqtt:` section: an mqtt channel without its own `url` uses that broker. */
  readonly mqtt?: MqttConfig | undefined;
}

export function buildChannel(c: ChannelConfig, deps: ChannelDeps = {}): Channel {
  switch (c.kind) {
    case 'webhook':
      return webhookChannel(c, deps.fetch);
    case 'ntfy':
      return ntfyChannel(c, deps.fetch);
    case 'gotify':
      return gotifyChannel(c, deps.fetch);
    case 'discord':
      return discordChannel(c, deps.fetch);
    case 'slack':
      return slackChannel(c, deps.fetch);
    case 'telegram':
      return telegramChannel(c, deps.fetch);
    case 'pushover':
      return pushoverChannel(c, deps.fetch);
    case 'email':
      return emailChannel(c);
    case 'mqtt':
      return mqttChannel(c, { section: deps.mqtt });
    case 'command':
      return commandChannel(c, deps.spawn);
  }
}
