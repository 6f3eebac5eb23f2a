import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import type { Config, UpsConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Clock } from '../util/clock.js';
import { HidUpsReader } from './hid-ups-reader.js';
import { builtinScenarios, parseScenario, type Scenario } from './sim/scenario.js';
import { SimulatedUps, findRecordedDevice } from './sim/simulated-ups.js';
import type { HidBackend } from './transport/hid-backend.js';
import { LocalTransport } from './transport/local-transport.js';
import { buildNutSource } from './nut/build-nut-source.js';
import { RelayTransport } from './transport/relay-transport.js';
import { parseRelayUrl } from './transport/relay-url.js';
import { parseHexKey } from '../relay/psk.js';
import { SimTransport } from './transport/sim-transport.js';
import type { UpsSource } from './ups-source.js';

export function loadScenario(spec: string, baseDir: string): Scenario {
  const builtin = builtinScenarios[spec];
  if (builtin !== undefined) return parseScenario(builtin, spec);
  const file = isAbsolute(spec) ? spec : resolve(baseDir, spec);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UpsguardError(
      ErrorCode.ScenarioInvalid,
      `scenario ${JSON.stringify(spec)} is neither built in (${Object.keys(builtinScenarios).join(', ')}) nor a readable file: ${errorMessage(err)}`,
    );
  }
  return parseScenario(text, file);
}

export interface BuiltSource {
  readonly source: UpsSource;
  /** The simulated UPS behind a sim source, for the demo and tests to drive. */
  readonly simulated?: SimulatedUps;
  /** The relay link behind a relay source, for the status page (agent, link state, round trip). */
  readonly relay?: RelayTransport;
  start(): void;
  stop(): void;
}

export interface SourceContext {
  readonly monitor: Config['monitor'];
  readonly clock: Clock;
  readonly log: Logger;
  readonly baseDir: string;
  /** Loads node-hid only when a USB UPS is configured. */
  readonly hidBackend: () => Promise<HidBackend>;
}

export async function buildSource(ups: UpsConfig, ctx: SourceContext): Promise<BuiltSource> {
  const log = ctx.log.child({ ups: ups.name });
  const onListenerError = (event: string, err: unknown): void => {
    log.error({ event, err: errorMessage(err) }, 'listener failed');
  };
  const onBadReport = (err: unknown): void => {
    log.warn({ err: errorMessage(err) }, 'malformed report dropped');
  };
  const delays = { offDelayS: ups.off_delay_s, onDelayS: ups.on_delay_s };
  const src = ups.source;
  switch (src.kind) {
    case 'sim': {
      const simulated = new SimulatedUps({
        device: findRecordedDevice(src.device),
        scenario: loadScenario(src.scenario, ctx.baseDir),
        timeScale: src.time_scale,
        clock: ctx.clock,
      });
      const transport = new SimTransport(simulated, onListenerError);
      const source = new HidUpsReader({ transport, ...delays, onListenerError, onBadReport, clock: ctx.clock });
      return {
        source,
        simulated,
        start: () => {
          simulated.start();
        },
        stop: () => {
          simulated.stop();
        },
      };
    }
    case 'usb': {
      const transport = new LocalTransport({
        selector: { vendorId: src.vendor_id, productId: src.product_id, serial: src.serial, path: src.path },
        backend: await ctx.hidBackend(),
        clock: ctx.clock,
        ioTimeoutMs: ctx.monitor.io_timeout_ms,
        reconnectBaseMs: ctx.monitor.reconnect_base_ms,
        reconnectMaxMs: ctx.monitor.reconnect_max_ms,
        onListenerError,
      });
      const source = new HidUpsReader({ transport, ...delays, onListenerError, onBadReport, clock: ctx.clock });
      return { source, start: () => undefined, stop: () => undefined };
    }
    case 'relay': {
      const relay = new RelayTransport({
        address: parseRelayUrl(src.url),
        identity: src.identity,
        key: src.insecure ? null : parseHexKey(src.psk ?? '', `ups ${ups.name} relay key`),
        mode: src.mode,
        clientName: `upsguard ${ups.name}`,
        heartbeatMs: src.heartbeat_s * 1000,
        lostAfterMs: src.lost_after_s * 1000,
        requestTimeoutMs: src.request_timeout_ms,
        connectTimeoutMs: src.connect_timeout_ms,
        reconnectBaseMs: src.reconnect_base_ms,
        reconnectMaxMs: src.reconnect_max_ms,
        clock: ctx.clock,
        onListenerError,
        onLog: (message, details) => {
          log.info(details, message);
        },
      });
      const source = new HidUpsReader({ transport: relay, ...delays, onListenerError, onBadReport, clock: ctx.clock });
      return { source, relay, start: () => undefined, stop: () => undefined };
    }
    case 'nut': {
      const source = buildNutSource(src, { ...ctx, log }, onListenerError);
      return { source, start: () => undefined, stop: () => undefined };
    }
  }
}
