import type { ChannelConfig } from '../../config/notify-schema.js';
import { renderTemplate } from '../template.js';
import { eventPayload, templateValues, type Channel, type OutgoingMessage } from './channel.js';
import { sendHttp, webhookRequest } from './http.js';

type WebhookConfig = Extract<ChannelConfig, { kind: 'webhook' }>;

/**
 * A webhook: the configured headers and body template (placeholders JSON-escaped when the body is JSON), or the
 * event as JSON. The message id goes in `Idempotency-Key` (and `message_id` in the default body) so a receiver can
 * drop the resend that follows a crash between its answer and our mark.
 */
export function webhookChannel(c: WebhookConfig, fetchImpl?: typeof fetch): Channel {
  const req = webhookRequest(c.url);
  const headerSecrets = Object.values(c.headers).filter((v) => v.length >= 6);
  return {
    name: c.name,
    kind: c.kind,
    config: c,
    send: (m: OutgoingMessage) => {
      const json = /json/i.test(c.content_type);
      const body =
        c.body === undefined
          ? JSON.stringify(eventPayload(m.event, m.id))
          : renderTemplate(c.body, templateValues(m), json ? 'json' : 'text');
      return sendHttp({
        url: req.url,
        method: c.method,
        headers: {
          ...req.headers,
          'content-type': c.content_type,
          ...lowerKeys(c.headers),
          'idempotency-key': m.id,
          'x-upsguard-message-id': m.id,
        },
        body,
        timeoutMs: c.timeout_ms,
        secrets: [...req.secrets, ...headerSecrets],
        where: req.where,
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
      });
    },
  };
}

function lowerKeys(h: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
