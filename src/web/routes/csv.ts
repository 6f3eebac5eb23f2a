import type { FastifyReply } from 'fastify';

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled. A text field that a
 * spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe: event messages carry text from
 * devices and peers, and an export must not become a way to run something on the owner's desktop.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const csvRow = (cells: readonly (string | number | null)[]): string => cells.map(csvField).join(',');

/** Sends rows as a download: text/csv, CRLF line ends as RFC 4180 has them, a file name without odd characters. */
export function csvAttachment(reply: FastifyReply, fileName: string, lines: readonly string[]): FastifyReply {
  const name = fileName.replace(/[^A-Za-z0-9._+-]/g, '_');
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}"`)
    .send(lines.map((l) => `${l}\r\n`).join(''));
}
