/**
 * The one place where text that may carry a secret is made safe to quote: a NUT request, a peer's error body, a
 * webhook URL. Pure: no I/O, no logger.
 */

export const REDACTED = '[redacted]';

/** How much of a peer's own error text (an HTTP body, a SOAP fault string, ssh's stderr) is ever quoted. */
export const PEER_TEXT_LIMIT = 300;

/** NUT requests whose arguments are credentials. */
const NUT_CREDENTIAL_REQUESTS = new Set(['USERNAME', 'PASSWORD']);

/**
 * A NUT request as it may be quoted in an error or a log line: its first `words` words, with the argument of
 * USERNAME and PASSWORD replaced (`PASSWORD [redacted]`), however it was quoted or spaced.
 */
export function redactNutRequest(line: string, words = 2): string {
  const trimmed = line.trim();
  const [verb = ''] = trimmed.split(/\s+/, 1);
  if (NUT_CREDENTIAL_REQUESTS.has(verb.toUpperCase())) {
    return trimmed.length > verb.length ? `${verb} ${REDACTED}` : verb;
  }
  return trimmed.split(/\s+/).slice(0, words).join(' ');
}

/** The forms a secret takes when a peer echoes it back: as given, URL-encoded, XML- or JSON-escaped. */
function formsOf(secret: string): string[] {
  const forms = new Set<string>([secret]);
  forms.add(encodeURIComponent(secret));
  forms.add(new URLSearchParams({ s: secret }).toString().slice(2));
  forms.add(
    secret
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;'),
  );
  forms.add(JSON.stringify(secret).slice(1, -1));
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Removes every known secret (in any of the forms a peer may echo it) from a text. Secrets under 4 chars are kept. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s === undefined || s.length < 4) continue;
    for (const f of formsOf(s)) if (out.includes(f)) out = out.split(f).join(REDACTED);
  }
  return out;
}

/** A peer's text as it may be quoted: secrets removed, whitespace folded, cut to `limit` characters. */
export function peerText(text: string, secrets: readonly (string | undefined)[] = [], limit = PEER_TEXT_LIMIT): string {
  // Redact before cutting, so a secret cut in half at the limit is not left as a recognisable prefix.
  const clean = redactSecrets(text, secrets).replace(/\s+/g, ' ').trim();
  return clean.length > limit ? `${clean.slice(0, limit)}…` : clean;
}

/**
 * The same error with known secrets removed from its message and stack (its class, code and details kept, so
 * callers that match on them still do). Errors that carry no secret are returned untouched.
 */
export function redactError<E>(err: E, secrets: readonly (string | undefined)[]): E {
  if (!(err instanceof Error)) return err;
  const message = redactSecrets(err.message, secrets);
  if (message !== err.message) err.message = message;
  if (err.stack !== undefined) {
    const stack = redactSecrets(err.stack, secrets);
    if (stack !== err.stack) err.stack = stack;
  }
  return err;
}

/** Query parameter names whose values are credentials (Slack's `token`, `api_key`, a signed URL's `sig`, …). */
const SECRET_QUERY_KEY = /token|key|secret|passw(or)?d|pwd|sig|auth|credential/i;

/** A URL with its userinfo dropped and the values of credential-looking query parameters redacted. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return REDACTED;
  }
  const query = [...u.searchParams]
    .map(([k, v]) => `${encodeURIComponent(k)}=${SECRET_QUERY_KEY.test(k) ? REDACTED : encodeURIComponent(v)}`)
    .join('&');
  return `${u.origin}${u.pathname}${query === '' ? '' : `?${query}`}`;
}

/** What a log line may name of a URL: its origin and path, never userinfo or query. */
export function urlForLog(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return REDACTED;
  }
}

/** The secret parts of a URL: the userinfo (raw and decoded) and the values of credential-looking parameters. */
export function urlSecrets(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [url];
  }
  const out: string[] = [];
  const add = (s: string): void => {
    if (s !== '') out.push(s);
    try {
      const d = decodeURIComponent(s);
      if (d !== s && d !== '') out.push(d);
    } catch {
      // a malformed escape is kept as written
    }
  };
  add(u.password);
  if (u.password !== '') add(u.username);
  for (const [k, v] of u.searchParams) if (SECRET_QUERY_KEY.test(k)) add(v);
  return out;
}

/** PEM private-key blocks and key-body lines (64/70 base64 characters) in a tool's output. */
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
const KEY_BODY = /[A-Za-z0-9+/]{60,}={0,2}/g;

/** A program's output with anything that looks like private key material removed. */
export function redactKeyMaterial(text: string): string {
  return text.replace(PEM_BLOCK, REDACTED).replace(KEY_BODY, REDACTED);
}
