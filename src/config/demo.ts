import type { ConfigInput } from './schema.js';
import { demoShutdown } from './demo-shutdown.js';

/**
 * What `upsguard serve` runs with no configuration: a simulated APC Back-UPS CS 500 (its real report descriptor) going
 * through an outage and back every 75 seconds, so a newcomer sees the page change within a minute.
 */
export const demoConfig: ConfigInput = {
  ups: [
    {
      name: 'demo',
      description: 'Simulated APC Back-UPS CS 500 (real descriptor), looping outage',
      source: { kind: 'sim', device: 'apc-back-ups-cs-500', scenario: 'demo-story', time_scale: 10 },
    },
  ],
  store: { path: 'data/demo.db' },
  ...demoShutdown,
};
