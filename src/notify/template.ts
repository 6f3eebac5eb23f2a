/**
 * The notification template: text with `{{name}}` placeholders from a fixed list, nothing else (no expressions, no
 * loops, no lookups into objects), so a config can never make the appliance run or read anything. A template is
 * checked when the config is read; rendering a checked template cannot fail.
 */
export const TEMPLATE_FIELDS = [
  'event.id',
  'event.type',
  'event.message',
  'event.severity',
  'ups',
  'at',
  'message_id',
  'channel',
] as const;

export type TemplateField = (typeof TEMPLATE_FIELDS)[number];
export type TemplateValues = Readonly<Record<TemplateField, string>>;

type Piece = { readonly text: string } | { readonly field: TemplateField };

export type ParsedTemplate = { ok: true; pieces: readonly Piece[] } | { ok: false; error: string };

const FIELD_SET: ReadonlySet<string> = new Set(TEMPLATE_FIELDS);

export function parseTemplate(source: string): ParsedTemplate {
  const pieces: Piece[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) {
      pieces.push({ text: source.slice(i) });
      break;
    }
    if (open > i) pieces.push({ text: source.slice(i, open) });
    const close = source.indexOf('}}', open + 2);
    if (close < 0) return { ok: false, error: `template: {{ at ${open} is never closed by }}` };
    const name = source.slice(open + 2, close).trim();
    if (!FIELD_SET.has(name))
      return {
        ok: false,
        // The name is cut short and stripped of braces: it is the user's text, echoed in an error.
        error: `template: unknown field "${name.slice(0, 40).replace(/[{}]/g, '')}" at ${open}; use one of ${TEMPLATE_FIELDS.join(', ')}`,
      };
    pieces.push({ field: name as TemplateField });
    i = close + 2;
  }
  return { ok: true, pieces };
}

/** How a value is put in: as is, escaped for the inside of a JSON string, or as a URL component. */
export type TemplateEscape = 'text' | 'json' | 'url';

function escape(value: string, how: TemplateEscape): string {
  if (how === 'json') return JSON.stringify(value).slice(1, -1);
  if (how === 'url') return encodeURIComponent(value);
  return value;
}

/** Renders a template; a template that does not parse (the config schema refuses those) renders as its source. */
export function renderTemplate(source: string, values: TemplateValues, how: TemplateEscape = 'text'): string {
  const parsed = parseTemplate(source);
  if (!parsed.ok) return source;
  return parsed.pieces.map((p) => ('text' in p ? p.text : escape(values[p.field], how))).join('');
}
