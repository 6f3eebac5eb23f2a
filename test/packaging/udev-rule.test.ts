import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICE_GROUP, UDEV_RULE_FILE, knownUsbIds, udevRule } from '../../packaging/udev-rule.js';
import { hex16 } from '../../src/util/hex.js';
import { repo } from './built-deb.js';

describe('the udev rule', () => {
  const ids = knownUsbIds();

  it('lists exactly the USB IDs the vendor quirks claim', () => {
    const listed = ids.map((i) =>
      i.productIds === undefined ? hex16(i.vendorId) : i.productIds.map((p) => `${hex16(i.vendorId)}:${hex16(p)}`),
    );
    // Whole vendors where a profile looks only at the vendor; single products where it also looks at the product
    // (HP and STMicroelectronics make far more than UPSes: only their UPS products are given to the service).
    expect(listed.flat()).toEqual([
      '03f0:0001',
      '03f0:1fe0',
      '03f0:1fe1',
      '03f0:1fe5',
      '03f0:1fe6',
      '03f0:1fe7',
      '03f0:1fe8',
      '0463:0001',
      '0463:ffff',
      '047c:ffff',
      '0483:a430',
      '04b3:0001',
      '050d',
      '051d',
      '0592:0004',
      '06da',
      '0764',
      '09ae',
      '09d6:0001',
      '0d9f',
      '10af',
      '2b2d:ffff',
    ]);
  });

  it('is the checked-in deploy/60-upsguard.rules, hidraw only, for the service group only', () => {
    const text = readFileSync(join(repo, UDEV_RULE_FILE), 'utf8');
    expect(text).toBe(udevRule(ids, SERVICE_GROUP));
    const rules = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(rules[0]).toBe('SUBSYSTEM!="hidraw", GOTO="upsguard_end"');
    expect(rules.at(-1)).toBe('LABEL="upsguard_end"');
    for (const r of rules.slice(1, -1)) {
      expect(r).toMatch(
        /^ATTRS\{idVendor\}=="[0-9a-f]{4}", (ATTRS\{idProduct\}=="[0-9a-f]{4}", )?GROUP="upsguard", MODE="0660"$/,
      );
    }
  });
});
