import type { ChannelConfig } from '../../config/notify-schema.js';
import { EVENT_SEVERITY, type EventSeverity } from '../../ups/event-severity.js';
import { urlForLog } from '../../util/redact.js';
import { renderTemplate } from '../template.js';
import { templateValues, type Channel, type OutgoingMessage } from './channel.js';
import { sendHttp } from './http.js';

/** A push service's request for one message. */
export interface PresetRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What a preset builds its request from: the rendered title and text, the severity, the message. */
export interface PresetInput {
  readonly title: string;
  readonly text: string;
  readonly severity: EventSeverity;
  readonly message: OutgoingMessage;
}

type TitledConfig = ChannelConfig & { readonly title: string; readonly text: string };

/**
 * A push-service channel: the preset says how its API wants the message, this sends it. `secrets` (tokens, webhook
 * URLs that embed one) never reach an error message; the log names only the service's origin.
 */
export function presetChannel(
  c: TitledConfig,
  o: { secrets: readonly string[]; build: (i: PresetInput) => PresetRequest; fetch?: typeof fetch },
): Channel {
  return {
    name: c.name,
    kind: c.kind,
    config: c,
    send: (m: OutgoingMessage) => {
      const values = templateValues(m);
      const req = o.build({
        title: renderTemplate(c.title, values),
        text: renderTemplate(c.text, values),
        severity: EVENT_SEVERITY[m.event.type],
        message: m,
      });
      return sendHttp({
        url: req.url,
        headers: { ...req.headers, 'x-upsguard-message-id': m.id },
        body: req.body,
        timeoutMs: c.timeout_ms,
        secrets: [...o.secrets, req.url],
        where: `${c.kind} ${new URL(urlForLog(req.url)).origin}`,
        ...(o.fetch ? { fetch: o.fetch } : {}),
      });
    },
  };
}

/** `base` with `path` appended, keeping a path prefix (a service behind a reverse proxy at /ntfy/). */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

export const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };
