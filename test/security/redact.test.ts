import { describe, expect, it } from 'vitest';
import {
  peerText,
  redactError,
  redactKeyMaterial,
  redactNutRequest,
  redactSecrets,
  redactUrl,
  urlForLog,
  urlSecrets,
} from '../../src/util/redact.js';

describe('redaction', () => {
  it('quotes NUT requests with USERNAME and PASSWORD arguments redacted, however written', () => {
    expect(redactNutRequest('PASSWORD S3cr3t')).toBe('PASSWORD [redacted]');
    expect(redactNutRequest('PASSWORD "two words"')).toBe('PASSWORD [redacted]');
    expect(redactNutRequest('password   x')).toBe('password [redacted]');
    expect(redactNutRequest('USERNAME monuser')).toBe('USERNAME [redacted]');
    expect(redactNutRequest('PASSWORD')).toBe('PASSWORD');
    expect(redactNutRequest('LIST VAR rack')).toBe('LIST VAR');
    expect(redactNutRequest('LOGIN rack')).toBe('LOGIN rack');
  });

  it('removes a secret in every form a peer echoes it: raw, URL-encoded, XML- and JSON-escaped', () => {
    const s = 'p<a&s>"w d';
    const text = [s, encodeURIComponent(s), 'p&lt;a&amp;s&gt;&quot;w d', JSON.stringify(s)].join(' | ');
    const out = redactSecrets(text, [s, undefined, 'ab']);
    expect(out).not.toMatch(/p<a|p%3Ca|p&lt;a|p<a&s>\\"/);
    expect(out.match(/\[redacted\]/g)?.length).toBe(4);
  });

  it('bounds a peer text after redacting it, so a secret at the cut is not left half', () => {
    const secret = 'S3cr3t-at-the-edge';
    const t = peerText(`${'a'.repeat(295)} ${secret} ${'b'.repeat(500)}`, [secret]);
    expect(t).not.toContain('S3cr3t');
    expect(t.length).toBeLessThanOrEqual(301);
    expect(peerText('short\n text')).toBe('short text');
  });

  it('redacts an error in place: class and code kept, message and stack clean', () => {
    const e = new TypeError('failed with S3cr3t-x1');
    expect(redactError(e, ['S3cr3t-x1'])).toBe(e);
    expect(e).toBeInstanceOf(TypeError);
    expect(`${e.message}${e.stack ?? ''}`).not.toContain('S3cr3t');
    expect(redactError('plain', ['plain'])).toBe('plain');
  });

  it('URLs: userinfo dropped, credential-looking query values redacted; logs name origin and path only', () => {
    const url = 'https://u:p%40ss@hooks.example/x/y?token=T0k&channel=ops&api_key=K3y&sig=abc';
    expect(redactUrl(url)).toBe(
      'https://hooks.example/x/y?token=[redacted]&channel=ops&api_key=[redacted]&sig=[redacted]',
    );
    expect(urlForLog(url)).toBe('https://hooks.example/x/y');
    expect(urlSecrets(url)).toEqual(expect.arrayContaining(['p%40ss', 'p@ss', 'u', 'T0k', 'K3y', 'abc']));
    expect(urlSecrets(url)).not.toContain('ops');
    expect(urlForLog('not a url')).toBe('[redacted]');
  });

  it('removes private key blocks and key-body lines from a tool output, keeps short fingerprints', () => {
    const body = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW';
    const out = redactKeyMaterial(
      `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\nstray ${body}\nSHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s`,
    );
    expect(out).not.toContain(body.slice(0, 30));
    expect(out).toContain('SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s');
  });
});
