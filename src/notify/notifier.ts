import { spawn, type ChildProcess } from 'node:child_process';
import type { NotifyConfig } from '../config/shutdown-schema.js';
import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { UpsEvent } from '../ups/events.js';
import { redactSecrets, urlForLog, urlSecrets } from '../util/redact.js';
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
  readonly spawn?: typeof spawn;
}

/** A webhook as it is sent: the URL without userinfo, which goes into a Basic Authorization header instead. */
export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** What a log line may name: origin and path, never userinfo or query. */
  readonly where: string;
  /** Everything secret in the configured URL, removed from any error text before it is logged. */
  readonly secrets: readonly string[];
}

/**
 * `https://user:pass@host/path?token=…` becomes a request to `https://host/path?token=…` with `Authorization: Basic`
 * (fetch refuses a URL with credentials outright). The query is the receiver's business and is sent as configured.
 */
export function webhookRequest(url: string): WebhookRequest {
  const u = new URL(url);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (u.username !== '' || u.password !== '') {
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  return { url: u.toString(), headers, where: urlForLog(url), secrets: [url, u.toString(), ...urlSecrets(url)] };
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
    // Deliveries are built not to reject; should one still, it is logged here and never reaches the process.
    const q = p.catch((err: unknown) => {
      this.o.log.error({ err: errorMessage(err) }, 'notification delivery failed');
    });
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
  }

  async webhook(hook: NotifyConfig['webhooks'][number], e: UpsEvent): Promise<boolean> {
    const doFetch = this.o.fetch ?? fetch;
    const sleep = this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref()));
    const body = JSON.stringify(eventPayload(e));
    const req = webhookRequest(hook.url);
    const where = req.where;
    for (let attempt = 0; attempt <= hook.retries; attempt++) {
      try {
        const res = await doFetch(req.url, {
          method: 'POST',
          headers: req.headers,
          body,
          signal: AbortSignal.timeout(hook.timeout_ms),
        });
        if (res.ok) return true;
        this.o.log.warn({ webhook: where, status: res.status, attempt }, 'webhook refused the event');
      } catch (err) {
        const why = redactSecrets(errorMessage(err), req.secrets);
        this.o.log.warn({ webhook: where, err: why, attempt }, 'webhook failed');
      }
      if (attempt < hook.retries) await sleep(backoffMs(attempt, hook.retry_base_ms, 60_000, this.o.random));
    }
    this.o.log.error({ webhook: where, event: e.type }, 'webhook gave up');
    return false;
  }

  /**
   * Runs the notify command; resolves when it has ended (or could not start). Never throws: with descriptors
   * exhausted `spawn` may throw, or return a child without stdio whose 'error' follows on the next tick, so the
   * error handler is attached first and every stream is optional.
   */
  command(cmd: NonNullable<NotifyConfig['command']>, e: UpsEvent): Promise<void> {
    const doSpawn = this.o.spawn ?? spawn;
    return new Promise((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        resolve();
      };
      const failed = (err: unknown): void => {
        const ue = new UpsguardError(
          ErrorCode.NotifyFailed,
          `notify command ${cmd.path} could not be started: ${errorMessage(err)}`,
          { command: cmd.path },
          { cause: err },
        );
        this.o.log.error({ command: cmd.path, code: ue.code, err: ue.message }, 'notify command failed to start');
        finish();
      };
      let child: ChildProcess;
      try {
        child = doSpawn(cmd.path, [...cmd.args, e.message], {
          env: { ...process.env, NOTIFYTYPE: e.type, UPSNAME: e.ups, UPSGUARD_EVENT: JSON.stringify(eventPayload(e)) },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      } catch (err) {
        failed(err);
        return;
      }
      try {
        child.on('error', failed);
        let stderr = '';
        // Null when the process could not be created (EMFILE): the 'error' above follows.
        child.stderr?.on('error', () => undefined);
        child.stderr?.on('data', (d: Buffer) => {
          stderr = (stderr + d.toString()).slice(-500);
        });
        timer = setTimeout(() => {
          this.o.log.error({ command: cmd.path, timeoutMs: cmd.timeout_ms }, 'notify command timed out; killed');
          child.kill('SIGKILL');
          // A child that never started has no 'close' to wait for.
          if (child.pid === undefined) finish();
        }, cmd.timeout_ms);
        child.on('close', (code) => {
          if (done) return;
          if (code !== 0) this.o.log.warn({ command: cmd.path, code, stderr }, 'notify command failed');
          finish();
        });
      } catch (err) {
        failed(err);
      }
    });
  }
}
