import { App } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import type { Clock } from '../../src/util/clock.js';

/** A real appliance on a simulated UPS with an in-memory store. */
export async function startSimApp(
  opts: { scenario?: string; timeScale?: number; clock?: Clock; device?: string; extra?: Partial<ConfigInput> } = {},
): Promise<App> {
  const loaded = validateConfig(
    {
      store: { path: ':memory:' },
      // Never the fixed NUT port from a test: other suites and real upsd peers run beside it.
      nut_server: { port: 0 },
      ups: [
        {
          name: 'sim1',
          description: 'test UPS',
          source: {
            kind: 'sim',
            device: opts.device ?? 'apc-back-ups-cs-500',
            scenario: opts.scenario ?? 'steady',
            time_scale: opts.timeScale ?? 1,
          },
        },
      ],
      ...opts.extra,
    },
    'test',
    process.cwd(),
    {},
  );
  const app = new App({ loaded, log: createLogger({ level: 'silent' }), clock: opts.clock });
  await app.start();
  return app;
}
