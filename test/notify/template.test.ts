import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { notifySchema } from '../../src/config/notify-schema.js';
import { TEMPLATE_FIELDS, parseTemplate, renderTemplate, type TemplateValues } from '../../src/notify/template.js';

const values: TemplateValues = {
  'event.id': '7',
  'event.type': 'ONBATT',
  'event.message': 'on battery: "mains" lost\n\\ back soon',
  'event.severity': 'warning',
  ups: 'rack',
  at: '2026-12-02T12:00:00.000Z',
  message_id: 'm-1',
  channel: 'ops',
};

/** Any UTF-16 code unit (lone surrogates and controls included), with JSON's special characters more often. */
const anyCodeUnit = fc.oneof(
  fc.constantFrom('"', '\\', '\n', '\r', '\t', '\u0000', '\u2028', '\ud800', '}', '{'),
  fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)),
);

describe('notification template', () => {
  it('fills the fields, with spaces allowed inside the braces', () => {
    expect(renderTemplate('{{event.type}} on {{ ups }} at {{at}}', values)).toBe(
      'ONBATT on rack at 2026-12-02T12:00:00.000Z',
    );
  });

  it('escapes values for the inside of a JSON string, so a JSON body stays JSON', () => {
    const body = renderTemplate('{"text":"{{event.message}}","ups":"{{ups}}"}', values, 'json');
    expect(JSON.parse(body)).toEqual({ text: values['event.message'], ups: 'rack' });
  });

  it('refuses an unknown field and an unclosed brace, naming them', () => {
    expect(parseTemplate('{{event.secret}}')).toMatchObject({ ok: false, error: /unknown field "event.secret"/ });
    expect(parseTemplate('hello {{ups')).toMatchObject({ ok: false, error: /never closed/ });
    expect(parseTemplate('{{constructor}}')).toMatchObject({ ok: false });
    expect(parseTemplate('{{__proto__}}')).toMatchObject({ ok: false });
  });

  it('the config refuses a bad template with its path', () => {
    const r = notifySchema.safeParse({
      channels: [{ name: 'x', kind: 'webhook', url: 'http://127.0.0.1/x', body: '{{nope}}' }],
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['channels', 0, 'body']);
  });

  it('fuzz: any text parses or is refused with a message, never throws; a parsed one keeps its text', () => {
    const pieces = fc.oneof(
      fc.string(),
      fc.constantFrom('{{', '}}', '{', '}', '{{ups}}', '{{ event.type }}', '{{at', '}}{{'),
      fc.constantFrom(...TEMPLATE_FIELDS).map((f) => `{{${f}}}`),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        const source = parts.join('');
        const parsed = parseTemplate(source);
        if (!parsed.ok) return parsed.error.startsWith('template: ');
        // With every field empty, the text between the placeholders is kept as written.
        const text = parsed.pieces.map((p) => ('text' in p ? p.text : '')).join('');
        const blank = Object.fromEntries(TEMPLATE_FIELDS.map((f) => [f, ''])) as unknown as TemplateValues;
        // Every {{ opens a placeholder: none is left in the text.
        const noStrayOpen = parsed.pieces.every((p) => !('text' in p) || !p.text.includes('{{'));
        return noStrayOpen && renderTemplate(source, blank) === text;
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: whatever a value holds, a JSON body template stays valid JSON with the value intact', () => {
    fc.assert(
      // A boolean property, not expect(): thousands of runs stay well under a second.
      fc.property(fc.string({ unit: anyCodeUnit, maxLength: 64 }), fc.string({ maxLength: 16 }), (msg, ups) => {
        const v = { ...values, 'event.message': msg, ups };
        const parsed = JSON.parse(renderTemplate('{"m":"{{event.message}}","u":"{{ups}}"}', v, 'json')) as {
          m: string;
          u: string;
        };
        return parsed.m === msg && parsed.u === ups;
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: the value of a field is never parsed again (no template injection)', () => {
    fc.assert(
      fc.property(fc.string(), (msg) => {
        const out = renderTemplate('[{{event.message}}]', { ...values, 'event.message': msg });
        expect(out).toBe(`[${msg}]`);
      }),
    );
  });
});
