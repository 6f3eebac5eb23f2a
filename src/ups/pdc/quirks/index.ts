/** Vendor families keyed by VID:PID (and, for the shared 06da:ffff, by what the descriptor contains). */
import type { ParsedReportDescriptor } from '../../hid/report-descriptor.js';
import type { DeviceInfo } from '../types.js';
import { apcProfile } from './apc.js';
import { belkinProfile, liebertProfile, phoenixtecProfile } from './belkin-liebert.js';
import { cyberpowerFor, cyberpowerProfile } from './cyberpower.js';
import { eatonProfile } from './eaton.js';
import { powercomProfile } from './powercom.js';
import type { VendorProfile } from './profile.js';
import { tripliteProfile } from './tripplite.js';

export const genericProfile: VendorProfile = {
  name: 'generic',
  matches: () => true,
  usageNames: [],
  delays: { off: 20, on: 30 },
};

/** 06da:ffff with MGE usages (AEG PROTECT NAS and friends) is Eaton firmware. */
const eatonOem: VendorProfile = { ...eatonProfile, matches: (d) => d.vendorId === 0x06da };

const PROFILES: readonly VendorProfile[] = [
  apcProfile,
  cyberpowerProfile,
  eatonProfile,
  tripliteProfile,
  belkinProfile,
  liebertProfile,
  powercomProfile,
  phoenixtecProfile,
  eatonOem,
];

export function selectProfile(device: DeviceInfo, genericParse: ParsedReportDescriptor): VendorProfile {
  const hit = PROFILES.find((p) => p.matches(device, genericParse)) ?? genericProfile;
  return hit.name === 'cyberpower' ? cyberpowerFor(device.productId) : hit;
}

export type { VendorProfile } from './profile.js';
