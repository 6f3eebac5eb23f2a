import { App } from '../app.js';
import { loadConfig } from '../config/load.js';
import { createLogger, scrubSecrets } from '../log.js';
import { errorMessage } from '../errors.js';
import { parseOptions } from './args.js';

/** Runs the appliance until `stopSignal` resolves; returns the exit code. */
export async function runServe(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  stopSignal: Promise<string>,
): Promise<number> {
  const { options, positional } = parseOptions(args, { values: ['config'] });
  if (positional.length > 0) throw new Error(`unexpected argument ${positional[0] ?? ''}`);
  const loaded = loadConfig(typeof options.config === 'string' ? options.config : undefined);
  const log = createLogger({ level: loaded.config.log.level });
  const app = new App({ loaded, log });
  try {
    await app.start();
    const url = await app.listen();
    log.info({ url, config: loaded.source }, 'upsguard serving');
    out(
      loaded.isDemo
        ? `upsguard demo: a simulated UPS goes on battery and back every 75 s, and every few minutes through a long outage\nthat runs the shutdown plan on a simulated cluster and brings it back.\nOpen ${url}`
        : `upsguard serving ${loaded.config.ups.length} UPS(es) from ${loaded.source}\nOpen ${url}`,
    );
    const signal = await stopSignal;
    log.info({ signal }, 'stopping');
    return 0;
  } catch (e) {
    const web = loaded.config.web;
    const message =
      (e as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? `cannot listen on ${web.host}:${web.port}: the port is in use (choose another with web.port in a config file)`
        : scrubSecrets(errorMessage(e), loaded.secrets);
    log.fatal({ err: message }, 'upsguard failed');
    err(`upsguard: ${message}`);
    return 1;
  } finally {
    await app.stop();
  }
}
