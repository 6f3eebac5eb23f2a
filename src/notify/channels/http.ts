import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { redactSecrets, urlForLog, urlSecrets } from '../../util/redact.js';

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

export interface HttpSend {
  readonly url: string;
  readonly method?: 'POST' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
  /** Strings that must not reach an error message (tokens in the URL or headers). */
  readonly secrets: readonly string[];
  /** What an error may call the receiver. */
  readonly where: string;
  readonly fetch?: typeof fetch;
}

/** One HTTP request, bounded by its timeout; a 2xx answer is delivery, anything else a NOTIFY_FAILED error. */
export async function sendHttp(r: HttpSend): Promise<void> {
  const doFetch = r.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(r.url, {
      method: r.method ?? 'POST',
      headers: r.headers,
      body: r.body,
      signal: AbortSignal.timeout(r.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    throw new UpsguardError(
      ErrorCode.NotifyFailed,
      `${r.where}: ${redactSecrets(errorMessage(err), r.secrets)}`,
      { where: r.where },
      // The cause would carry the raw text (and URL) to whoever logs it whole.
    );
  }
  // The body is drained (bounded by the same signal) so the connection can be reused; its text is not kept.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok)
    throw new UpsguardError(ErrorCode.NotifyFailed, `${r.where}: HTTP ${res.status}`, { status: res.status });
}
