import { spawn } from 'node:child_process';
import type { NotifyConfig } from '../config/notify-schema.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { UpsEvent } from '../ups/events.js';
import { redactSecrets } from '../util/redact.js';
import { backoffMs } from '../util/timeout.js';
import { runCommand } from './channels/command.js';
import { sendHttp, webhookRequest } from './channels/http.js';

export { webhookRequest, type WebhookRequest } from './channels/http.js';

/** What the old webhook received: the event as the API shows it. */
export function eventPayload(e: UpsEvent): Record<string, unknown> {
  return { id: e.id, at: new Date(e.at).toISOString(), type: e.type, ups: e.ups, message: e.message };
}

export interface NotifierOptions {
  readonly config: NotifyConfig;
  readonly log: Logger;
  /** Injectable for tests. */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly spawn?: typeof spawn;
}

/**
 * Sends straight away, without the queue: the old `webhooks:` (retried in memory, `retries` times) and `command:`.
 * The appliance sends through the queue (NotifyDispatcher); this stays for one-shot sends from tools and tests, and
 * never throws.
 */
export class Notifier {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly o: NotifierOptions) {}

  notify(e: UpsEvent): void {
    for (const hook of this.o.config.webhooks) this.track(this.webhook(hook, e).then(() => undefined));
    if (this.o.config.command) this.track(this.command(this.o.config.command, e));
  }

  /** Resolves when every delivery started so far is done. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err: unknown) => {
      this.o.log.error({ err: errorMessage(err) }, 'notification delivery failed');
    });
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
  }

  async webhook(hook: NotifyConfig['webhooks'][number], e: UpsEvent): Promise<boolean> {
    const sleep = this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref()));
    const req = webhookRequest(hook.url);
    for (let attempt = 0; attempt <= hook.retries; attempt++) {
      try {
        await sendHttp({
          url: req.url,
          headers: req.headers,
          body: JSON.stringify(eventPayload(e)),
          timeoutMs: hook.timeout_ms,
          secrets: req.secrets,
          where: req.where,
          ...(this.o.fetch ? { fetch: this.o.fetch } : {}),
        });
        return true;
      } catch (err) {
        const why = redactSecrets(errorMessage(err), req.secrets);
        this.o.log.warn({ webhook: req.where, err: why, attempt }, 'webhook failed');
      }
      if (attempt < hook.retries) await sleep(backoffMs(attempt, hook.retry_base_ms, 60_000, this.o.random));
    }
    this.o.log.error({ webhook: req.where, event: e.type }, 'webhook gave up');
    return false;
  }

  /** Runs the notify command; resolves when it has ended (or could not start); a failure is logged, never thrown. */
  async command(cmd: NonNullable<NotifyConfig['command']>, e: UpsEvent): Promise<void> {
    const c = { ...cmd, name: 'command', kind: 'command' as const, min_severity: 'info' as const };
    try {
      await runCommand(c, { id: `event-${e.id}`, channel: 'command', event: e }, this.o.spawn ?? spawn);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      this.o.log.error({ command: cmd.path, code, err: errorMessage(err) }, 'notify command failed');
    }
  }
}
