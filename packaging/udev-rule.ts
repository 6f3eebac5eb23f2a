/**
 * The udev rule that gives the service's group the hidraw nodes of UPSes, generated from the vendor quirks so the
 * two never drift: every USB ID some vendor profile claims, and nothing else (a keyboard or a security key on the
 * same host stays root's).
 *
 * The profiles decide with functions, not a table, so the IDs are found by asking them: each vendor ID is tried
 * with a product ID that records whether it was read; a profile that never looks at the product claims the whole
 * vendor, and for the few that do, every product ID of that vendor is tried. Each recorded device's real report
 * descriptor is offered in turn, since one family (Phoenixtec on 06da) also looks at the descriptor.
 */
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReportDescriptor } from '../src/ups/hid/descriptor-parser.js';
import type { ParsedReportDescriptor } from '../src/ups/hid/report-descriptor.js';
import { genericProfile, selectProfile } from '../src/ups/pdc/quirks/index.js';
import { recordedDevices } from '../src/ups/sim/recorded-devices.js';
import { hex16 } from '../src/util/hex.js';

export interface UsbIdMatch {
  readonly vendorId: number;
  /** Undefined: every product of the vendor. */
  readonly productIds?: readonly number[];
}

const ALL = 0x10000;

function descriptors(): ParsedReportDescriptor[] {
  return recordedDevices.map((d) =>
    parseReportDescriptor(Uint8Array.from(Buffer.from(d.descriptorHex.replace(/\s+/g, ''), 'hex'))),
  );
}

function knownFor(vendorId: number, productId: number, descs: readonly ParsedReportDescriptor[]): boolean {
  return descs.some((desc) => selectProfile({ vendorId, productId }, desc).name !== genericProfile.name);
}

/** Every USB ID the quirks know, vendor by vendor, in vendor order. */
export function knownUsbIds(): UsbIdMatch[] {
  const descs = descriptors();
  const found: UsbIdMatch[] = [];
  for (let vendorId = 0; vendorId < ALL; vendorId++) {
    const seen = { product: false };
    const probe = {
      vendorId,
      get productId(): number {
        seen.product = true;
        return 0;
      },
    };
    const anyHit = descs.some((desc) => selectProfile(probe, desc).name !== genericProfile.name);
    if (!seen.product) {
      if (anyHit) found.push({ vendorId });
      continue;
    }
    const products: number[] = [];
    for (let productId = 0; productId < ALL; productId++) {
      if (knownFor(vendorId, productId, descs)) products.push(productId);
    }
    if (products.length === ALL) found.push({ vendorId });
    else if (products.length > 0) found.push({ vendorId, productIds: products });
  }
  return found;
}

/** The rule file's text: one line per vendor (or vendor and product). */
export function udevRule(ids: readonly UsbIdMatch[], group: string): string {
  const lines = [
    '# upsguard: the service group may read and write the hidraw nodes of the UPS vendors upsguard knows, nothing else.',
    '# Generated from src/ups/pdc/quirks by packaging/udev-rule.ts; do not edit (a local rule for another UPS goes in',
    '# /etc/udev/rules.d/61-upsguard-local.rules, same form).',
    'SUBSYSTEM!="hidraw", GOTO="upsguard_end"',
  ];
  for (const id of ids) {
    const vendor = `ATTRS{idVendor}=="${hex16(id.vendorId)}"`;
    if (id.productIds === undefined) {
      lines.push(`${vendor}, GROUP="${group}", MODE="0660"`);
      continue;
    }
    for (const p of id.productIds)
      lines.push(`${vendor}, ATTRS{idProduct}=="${hex16(p)}", GROUP="${group}", MODE="0660"`);
  }
  lines.push('LABEL="upsguard_end"', '');
  return lines.join('\n');
}

/** The checked-in copy the package installs; `tsx packaging/udev-rule.ts --write` regenerates it. */
export const UDEV_RULE_FILE = 'deploy/60-upsguard.rules';
export const SERVICE_GROUP = 'upsguard';

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = udevRule(knownUsbIds(), SERVICE_GROUP);
  const file = resolve(dirname(fileURLToPath(import.meta.url)), '..', UDEV_RULE_FILE);
  if (process.argv.includes('--write')) writeFileSync(file, text);
  else process.stdout.write(text);
}
