import type { ConfigInput } from './schema.js';
import { demoShutdown } from './demo-shutdown.js';

/**
 * What `upsguard serve` runs with no configuration: a simulated CyberPower CP1500PFCLCD (its real report descriptor,
 * which reports input voltage and load as well, and whose load-off honours its delay registers) going through short
 * outages and, every few minutes, a long one that runs the shutdown plan on the simulated cluster.
 */
export const demoConfig: ConfigInput = {
  ups: [
    {
      name: 'demo',
      description: 'Simulated CyberPower CP1500PFCLCD (real descriptor): outages, and a long one that runs the plan',
      source: { kind: 'sim', device: 'cyberpower-cp1500pfclcd', scenario: 'demo-story', time_scale: 10 },
    },
  ],
  store: { path: 'data/demo.db' },
  // NUT followers can watch the demo: Synology DSM and QNAP insist on monuser / secret and a UPS named `ups`.
  users: [
    { name: 'monuser', password: 'secret', upsmon: 'secondary' },
    { name: 'upsprimary', password: 'demo-primary', upsmon: 'primary' },
  ],
  nut_server: { aliases: { ups: 'demo' } },
  ...demoShutdown,
};
