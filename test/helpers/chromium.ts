import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium (installed by `npm test`), headless, with the background services off: this machine's network
 * is closed and Chromium would otherwise keep trying to reach its update and sync hosts.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
