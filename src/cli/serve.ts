import { App } from '../app.js';
import { loadConfig } from '../config/load.js';
import { LOG_FORMATS, createLogger, scrubSecrets, type LogFormat } from '../log.js';
import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import { parseOptions } from './args.js';
import { SystemdNotify } from '../app/systemd-notify.js';

function logFormatOption(value: string | true | undefined, fallback: LogFormat): LogFormat {
  if (value === undefined) return fallback;
  const f = LOG_FORMATS.find((x) => x === value);
  if (f === undefined) {
    throw new UpsguardError(ErrorCode.CliUsage, `--log-format is one of ${LOG_FORMATS.join(', ')}`);
  }
  return f;
}

/** Runs the appliance until `stopSignal` resolves; SIGHUP reloads the config file; returns the exit code. */
export async function runServe(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  stopSignal: Promise<string>,
): Promise<number> {
  const { options, positional } = parseOptions(args, { values: ['config', 'log-format'] });
  if (positional.length > 0) throw new Error(`unexpected argument ${positional[0] ?? ''}`);
  const loaded = loadConfig(typeof options.config === 'string' ? options.config : undefined);
  const format = logFormatOption(options['log-format'], loaded.config.log.format);
  const log = createLogger({ level: loaded.config.log.level, format });
  const app = new App({ loaded, log });
  // Under a Type=notify unit: READY once every part is up and listening, watchdog pings from the event loop.
  const systemd = new SystemdNotify({ log, env: process.env });
  systemd.start();
  let serving = false;
  // Installed before start: Node's default for SIGHUP is to end the process, and `systemctl reload` must never do that.
  const onHangup = (): void => {
    if (!serving) {
      log.warn('SIGHUP while starting: ignored; send it again once upsguard is serving');
      return;
    }
    systemd.reloading();
    void app
      .reload()
      .then(
        (r) => (r.ok ? 'config reloaded' : 'config reload refused: the old config stays in force'),
        (e: unknown) => {
          log.error({ err: scrubSecrets(errorMessage(e), loaded.secrets) }, 'config reload failed');
          return 'config reload failed: the old config stays in force';
        },
      )
      .then((status) => {
        systemd.ready(status);
      });
  };
  process.on('SIGHUP', onHangup);
  try {
    await app.start();
    const url = await app.listen();
    serving = true;
    log.info({ url, config: loaded.source }, 'upsguard serving');
    systemd.ready(`serving ${loaded.config.ups.length} UPS(es) at ${url}`);
    out(
      loaded.isDemo
        ? `upsguard demo: a simulated UPS goes on battery and back every 75 s, and every few minutes through a long outage\nthat runs the shutdown plan on a simulated cluster and brings it back.\nOpen ${url}`
        : `upsguard serving ${loaded.config.ups.length} UPS(es) from ${loaded.source}\nOpen ${url}`,
    );
    const signal = await stopSignal;
    systemd.stopping();
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
    serving = false;
    process.off('SIGHUP', onHangup);
    await app.stop();
    systemd.stop();
  }
}
