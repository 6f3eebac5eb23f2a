import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, resolveLogFormat, textDestination, textLine } from '../src/log.js';

function textLogger(journal: boolean): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', destination: textDestination({ journal, write: (l) => lines.push(l) }) });
  return { log, lines };
}

describe('text log lines', () => {
  it('writes one line `LEVEL part: message key=value` per record, with the syslog priority for the journal', () => {
    const { log, lines } = textLogger(true);
    log.child({ part: 'monitor' }).warn({ ups: 'u1', comms: 'lost', afterS: 3.5 }, 'contact with the UPS lost');
    log.error({ err: 'boom\nsecond line', detail: { a: 1 } }, 'x');
    expect(lines).toEqual([
      '<4>WARN monitor: contact with the UPS lost ups=u1 comms=lost afterS=3.5\n',
      '<3>ERROR x err="boom\\nsecond line" detail={"a":1}\n',
    ]);
  });

  it('puts the time in front on a terminal', () => {
    const { log, lines } = textLogger(false);
    log.info('hello');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO hello\n$/);
  });

  it('keeps secrets redacted: pino redacts before the line is formatted', () => {
    const { log, lines } = textLogger(true);
    log.info({ password: 'hunter2-secret', relay: { psk: 'abcdef0123' } }, 'login');
    const text = lines.join('');
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain('abcdef0123');
    expect(text).toContain('password=[redacted] relay={"psk":"[redacted]"}');
  });

  it('chooses text under journald or on a terminal, JSON on a pipe, and obeys an explicit format', () => {
    expect(resolveLogFormat('auto', { JOURNAL_STREAM: '8:1234' }, false)).toEqual({ format: 'text', journal: true });
    expect(resolveLogFormat('auto', {}, true)).toEqual({ format: 'text', journal: false });
    expect(resolveLogFormat('auto', {}, false)).toEqual({ format: 'json', journal: false });
    expect(resolveLogFormat('json', { JOURNAL_STREAM: '8:1' }, true).format).toBe('json');
    expect(resolveLogFormat('text', {}, false)).toEqual({ format: 'text', journal: false });
  });

  it('never breaks a record into two lines and never throws, whatever the record holds', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.dictionary(fc.string(), fc.jsonValue()).map((d) => JSON.stringify(d)),
        ),
        (rec) => {
          const line = textLine(rec, { journal: true });
          expect(line).not.toMatch(/\n/);
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), fc.jsonValue()), (msg, fields) => {
        const { log, lines } = textLogger(false);
        log.info(fields, msg);
        expect(lines).toHaveLength(1);
      }),
      { numRuns: 200 },
    );
  });
});
