import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NutSourceConfig } from '../../config/nut-schema.js';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../util/clock.js';
import { NutSource } from './nut-source.js';
import { parseNutUrl } from './nut-url.js';

export interface NutSourceContext {
  readonly monitor: {
    readonly io_timeout_ms: number;
    readonly reconnect_base_ms: number;
    readonly reconnect_max_ms: number;
  };
  readonly clock: Clock;
  readonly log: Logger;
  readonly baseDir: string;
}

/** A `kind: nut` UPS from its config entry. */
export function buildNutSource(
  src: NutSourceConfig,
  ctx: NutSourceContext,
  onListenerError: (event: string, err: unknown) => void,
): NutSource {
  let ca: Buffer | undefined;
  if (src.ca_file !== undefined) {
    const file = resolve(ctx.baseDir, src.ca_file);
    try {
      ca = readFileSync(file);
    } catch (e) {
      throw new UpsguardError(ErrorCode.ConfigInvalid, `ca_file ${file} cannot be read: ${errorMessage(e)}`);
    }
  }
  return new NutSource({
    target: parseNutUrl(src.url),
    password: src.password,
    starttls: src.starttls,
    ca,
    login: src.login,
    pollMs: src.poll_interval_s * 1000,
    onBatteryPollMs: src.on_battery_poll_interval_s * 1000,
    ioTimeoutMs: ctx.monitor.io_timeout_ms,
    reconnectBaseMs: ctx.monitor.reconnect_base_ms,
    reconnectMaxMs: ctx.monitor.reconnect_max_ms,
    allowedCommands: src.allowed_commands,
    clock: ctx.clock,
    log: ctx.log,
    onListenerError,
  });
}
