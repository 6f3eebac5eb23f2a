import { describe, expect, it } from 'vitest';
import { parseConfigText, validateConfig } from '../../src/config/load.js';
import { problemsOf } from '../helpers/config-problems.js';

/**
 * The rule: USB IDs, serials, fingerprints, thumbprints, identities and keys are the text the user wrote. An unquoted
 * `vendor_id: 0764` is the hex id 0764 as lsusb prints it (so is 1234); YAML never turns it into a number first.
 */
const usb = (v: string): string => `ups:\n  - name: u\n    source: { kind: usb, ${v} }\n`;

describe('hex ids in YAML are read as written', () => {
  it('reads unquoted 0764, 1234, 1e3, 0x051d and quoted ids as hex, as lsusb prints them', () => {
    const src = (v: string) => parseConfigText(usb(v), 'x.yaml', '/', {}).config.ups[0]?.source;
    expect(src('vendor_id: 0764, product_id: 0501')).toEqual({ kind: 'usb', vendor_id: 0x0764, product_id: 0x0501 });
    expect(src('vendor_id: 1234, product_id: 0010')).toEqual({ kind: 'usb', vendor_id: 0x1234, product_id: 0x0010 });
    expect(src('vendor_id: 0x051d, product_id: "0002"')).toEqual({ kind: 'usb', vendor_id: 0x051d, product_id: 2 });
    expect(src('vendor_id: 051d, serial: 0012345')).toEqual({ kind: 'usb', vendor_id: 0x051d, serial: '0012345' });
    expect(src('vendor_id: 1e3, product_id: 0b01')).toMatchObject({ vendor_id: 0x01e3, product_id: 0x0b01 });
  });

  it('block style, the relay device section and fingerprints keep their text too', () => {
    const loaded = parseConfigText(
      [
        'ups:',
        '  - name: u',
        '    source:',
        '      kind: usb',
        '      vendor_id: 0764',
        'relay:',
        '  device: { vendor_id: 0764, product_id: 0501 }',
        '',
      ].join('\n'),
      'x.yaml',
      '/',
      {},
    );
    expect(loaded.config.ups[0]?.source).toMatchObject({ vendor_id: 0x0764 });
    expect(loaded.config.relay?.device).toMatchObject({ vendor_id: '0764', product_id: '0501' });
  });

  it('refuses what is not hex text, and numbers that did not come from YAML text, saying to quote them', () => {
    expect(problemsOf(() => parseConfigText(usb('vendor_id: 12345'), 'x', '/', {}))).toEqual([
      'ups.0.source.vendor_id: expected a 16-bit hex id such as 051d',
    ]);
    expect(problemsOf(() => parseConfigText(usb('vendor_id: 07.64'), 'x', '/', {}))).toEqual([
      'ups.0.source.vendor_id: expected a 16-bit hex id such as 051d',
    ]);
    // An alias to a number elsewhere: the text is not this key's, so it is refused rather than converted.
    const aliased =
      'ups:\n  - name: u\n    off_delay_s: &v 1892\n    on_delay_s: 2000\n    source: { kind: usb, vendor_id: *v }\n';
    expect(problemsOf(() => parseConfigText(aliased, 'x', '/', {}))).toEqual([
      'ups.0.source.vendor_id: write USB IDs in quotes, e.g. "0764"',
    ]);
    expect(
      problemsOf(() =>
        validateConfig({ ups: [{ name: 'u', source: { kind: 'usb', vendor_id: 1892 } }] }, 'x', '/', {}),
      ),
    ).toEqual(['ups.0.source.vendor_id: write USB IDs in quotes, e.g. "0764"']);
  });
});
