import { afterEach } from 'vitest';
import type { App } from '../../src/app.js';
import type { Upsmon } from './nut-peers.js';

/** What a test against real NUT clients started: the appliance and the upsmon that follows its NUT server. */
export interface NutClientsStarted {
  app?: App;
  upsmon?: Upsmon;
}

/**
 * Stops, after each test, what it put here: upsmon first (it logs out of the app's NUT server), then the app. Call it
 * in the describe block; a test assigns what it starts, e.g. `const app = (started.app = await startSimApp(...))`.
 */
export function stoppedAfterEach(): NutClientsStarted {
  const started: NutClientsStarted = {};
  afterEach(async () => {
    await started.upsmon?.stop();
    await started.app?.stop();
    started.upsmon = undefined;
    started.app = undefined;
  });
  return started;
}
