import { pino, type DestinationStream, type Logger } from 'pino';
import { redactSecrets } from './util/redact.js';

export type { Logger } from 'pino';

/**
 * Key names whose values are secrets wherever they appear. pino's redaction works on paths, so the common
 * nestings are listed; config objects are never logged whole, this is the second line of defence.
 */
const SECRET_KEYS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'psk',
  'key',
  'privateKey',
  'private_key',
  'apiToken',
  'api_token',
  'authorization',
  'cookie',
];
const redactPaths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`, `*[*].${k}`, `*.*[*].${k}`]);

/** `text`: one readable line per record; `json`: pino's lines; `auto`: text under journald or on a terminal. */
export const LOG_FORMATS = ['auto', 'text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogOptions {
  level?: string;
  /** Where the records go; by default stdout in `format`. A given destination gets pino's JSON lines. */
  destination?: DestinationStream;
  format?: LogFormat;
  /** For `auto`: JOURNAL_STREAM says stdout is the journal. */
  env?: NodeJS.ProcessEnv;
  /** For `auto`: whether stdout is a terminal. */
  isTty?: boolean;
}

/**
 * What `auto` means: text when stdout is the journal (systemd sets JOURNAL_STREAM) or a person's terminal; JSON when
 * it is a pipe or file (a log shipper reads it).
 */
export function resolveLogFormat(
  format: LogFormat,
  env: NodeJS.ProcessEnv,
  isTty: boolean,
): { format: 'text' | 'json'; journal: boolean } {
  const journal = typeof env.JOURNAL_STREAM === 'string' && env.JOURNAL_STREAM !== '';
  if (format === 'json') return { format: 'json', journal };
  if (format === 'text') return { format: 'text', journal };
  return { format: journal || isTty ? 'text' : 'json', journal };
}

export function createLogger(options: LogOptions = {}): Logger {
  const opts = {
    level: options.level ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { app: 'upsguard' },
  };
  if (options.destination) return pino(opts, options.destination);
  const chosen = resolveLogFormat(
    options.format ?? 'json',
    options.env ?? process.env,
    options.isTty ?? process.stdout.isTTY,
  );
  // Formatted in-process from pino's own record (after redaction): no transport thread, no pino-pretty to ship.
  return chosen.format === 'text' ? pino(opts, textDestination({ journal: chosen.journal })) : pino(opts);
}

/** Removes secret values from a free-text message (an error from a library may echo a URL or a header). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  return redactSecrets(text, secrets);
}

/** pino's numeric levels as the words a person reads, and the syslog priority journald takes from a `<N>` prefix. */
const LEVELS: Readonly<Record<number, { word: string; priority: number }>> = {
  10: { word: 'TRACE', priority: 7 },
  20: { word: 'DEBUG', priority: 7 },
  30: { word: 'INFO', priority: 6 },
  40: { word: 'WARN', priority: 4 },
  50: { word: 'ERROR', priority: 3 },
  60: { word: 'FATAL', priority: 2 },
};

/** pino's own fields, and those the line already shows in front; the rest become `key=value`. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'app', 'part', 'v']);

export interface TextLineOptions {
  /** Prefix `<N>` (syslog priority) and leave the time out: journald stamps each line itself. */
  readonly journal: boolean;
}

/** A value as it goes after `key=`: bare when it is one plain word, JSON-quoted otherwise (so a line splits back). */
function formatValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=\\]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

/**
 * One pino JSON record as one readable line: `LEVEL part: message key=value…` (with the time in front on a terminal,
 * the syslog priority under journald). Newlines in the message or a value are escaped so one record stays one line.
 * A record that is not JSON (never from pino) is passed through as it is.
 */
export function textLine(record: string, o: TextLineOptions): string {
  let obj: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(record);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return record.trimEnd();
    obj = parsed as Record<string, unknown>;
  } catch {
    return record.trimEnd();
  }
  const level = LEVELS[typeof obj.level === 'number' ? obj.level : 30] ?? { word: String(obj.level), priority: 6 };
  const parts: string[] = [];
  if (o.journal) parts.push(`<${level.priority}>${level.word}`);
  else {
    const time = typeof obj.time === 'number' ? new Date(obj.time).toISOString() : '';
    parts.push(time, level.word);
  }
  const message = typeof obj.msg === 'string' ? obj.msg.replace(/\r?\n/g, '\\n') : '';
  const part = typeof obj.part === 'string' ? obj.part : null;
  parts.push(part === null ? message : `${part}: ${message}`);
  for (const [k, v] of Object.entries(obj)) {
    if (SHOWN.has(k) || v === undefined) continue;
    parts.push(`${k}=${formatValue(v).replace(/\r?\n/g, '\\n')}`);
  }
  return parts.filter((p) => p !== '').join(' ');
}

/** A pino destination that writes each record as a text line to `write` (stdout by default). */
export function textDestination(o: TextLineOptions & { readonly write?: (line: string) => void }): DestinationStream {
  const write = o.write ?? ((line: string) => process.stdout.write(line));
  return {
    write(record: string): void {
      // pino writes one record per call, ending in a newline.
      for (const one of record.split('\n')) if (one.trim() !== '') write(`${textLine(one, o)}\n`);
    },
  };
}
