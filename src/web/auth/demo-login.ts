import { randomBytes } from 'node:crypto';
import type { DemoLogin } from './web-auth.js';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

/** A demo password: 16 base32 characters (80 bits), easy to type from the terminal. */
export function demoPassword(random: (n: number) => Buffer = randomBytes): string {
  return [...random(16)].map((b) => BASE32[b & 31]).join('');
}

/**
 * The demo's login: only for the embedded demo config served on loopback, so a newcomer gets in with one command
 * and an appliance on the network never has a printed password.
 */
export function demoLoginFor(isDemo: boolean, webHost: string): DemoLogin | null {
  if (!isDemo || !LOOPBACK_HOSTS.has(webHost)) return null;
  return { user: 'admin', password: demoPassword() };
}

/** The line printed on stdout at start. */
export function demoLoginLine(demo: DemoLogin, url: string): string {
  return `upsguard: demo login ${demo.user} / ${demo.password} at ${url}`;
}
