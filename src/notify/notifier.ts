import { spawn } from 'node:child_process';
import type { NotifyConfig } from '../config/shutdown-schema.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { UpsEvent } from '../ups/events.js';
import { backoffMs } from '../util/timeout.js';

/** What a webhook receives: the event as the API shows it. */
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
}

/**
 * Delivers events beyond the store: a JSON POST to each webhook (each attempt bounded by its timeout, retried with
 * backoff), and a command run with the event in its environment as NUT's NOTIFYCMD is (NOTIFYTYPE, UPSNAME, and the
 * message as its argument). Delivery never blocks the caller and never throws.
 */
export class Notifier {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly o: NotifierOptions) {}

  notify(e: UpsEvent): void {
    for (const hook of this.o.config.webhooks) this.track(this.webhook(hook, e).then(() => undefined));
    if (this.o.config.command) this.track(this.command(this.o.config.command, e));
  }

  /** Resolves when every delivery started so far is done (stop, tests). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async webhook(hook: NotifyConfig['webhooks'][number], e: UpsEvent): Promise<boolean> {
    const doFetch = this.o.fetch ?? fetch;
    const sleep = this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref()));
    const body = JSON.stringify(eventPayload(e));
    const where = new URL(hook.url).origin;
    for (let attempt = 0; attempt <= hook.retries; attempt++) {
      try {
        const res = await doFetch(hook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(hook.timeout_ms),
        });
        if (res.ok) return true;
        this.o.log.warn({ webhook: where, status: res.status, attempt }, 'webhook refused the event');
      } catch (err) {
        this.o.log.warn({ webhook: where, err: errorMessage(err), attempt }, 'webhook failed');
      }
      if (attempt < hook.retries) await sleep(backoffMs(attempt, hook.retry_base_ms, 60_000, this.o.random));
    }
    this.o.log.error({ webhook: where, event: e.type }, 'webhook gave up');
    return false;
  }

  command(cmd: NonNullable<NotifyConfig['command']>, e: UpsEvent): Promise<void> {
    return new Promise((resolve) => {
      const child = spawn(cmd.path, [...cmd.args, e.message], {
        env: { ...process.env, NOTIFYTYPE: e.type, UPSNAME: e.ups, UPSGUARD_EVENT: JSON.stringify(eventPayload(e)) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-500);
      });
      const timer = setTimeout(() => {
        this.o.log.error({ command: cmd.path, timeoutMs: cmd.timeout_ms }, 'notify command timed out; killed');
        child.kill('SIGKILL');
      }, cmd.timeout_ms);
      child.on('error', (err) => {
        clearTimeout(timer);
        this.o.log.error({ command: cmd.path, err: errorMessage(err) }, 'notify command failed to start');
        resolve();
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) this.o.log.warn({ command: cmd.path, code, stderr }, 'notify command failed');
        resolve();
      });
    });
  }
}
