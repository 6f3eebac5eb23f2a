import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../src/log.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { EventsStore } from '../../src/store/events.js';
import { ReadingsStore } from '../../src/store/readings.js';
import type { UpsSnapshot } from '../../src/ups/events.js';
import type { UpsCommand } from '../../src/ups/pdc/index.js';
import type { RelayStatus } from '../../src/ups/transport/relay-transport.js';
import type { UpsSourceInfo } from '../../src/ups/ups-source.js';
import { Listeners } from '../../src/util/listeners.js';
import type { Principal, WebRole } from '../../src/web/access.js';
import { createWebAuth } from '../../src/web/auth/web-auth.js';
import type { LiveEvents, WatchedUps } from '../../src/web/deps.js';
import { buildServer } from '../../src/web/server.js';
import type { ReadApiDeps } from '../../src/web/views.js';
import { closeAfterTest } from '../helpers/web-fakes.js';

// The web server with the real auth hook over an in-memory store, fake UPSes and a manual clock, for the console's read
// routes. Callers authenticate with a bearer token per role: `as('viewer')` gives the headers.

export const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);

export interface FakeUps {
  name: string;
  snapshot: UpsSnapshot;
  info?: UpsSourceInfo;
  relay?: RelayStatus | null;
  commands?: UpsCommand[];
}

export interface ReadRig {
  readonly app: FastifyInstance;
  readonly db: Db;
  readonly events: EventsStore;
  readonly readings: ReadingsStore;
  /** Commands the fake UPSes were asked to run, as `ups: cmd`. */
  readonly ran: string[];
  advance(ms: number): void;
  now(): number;
}

export const as = (role: WebRole): { authorization: string } => ({ authorization: `Bearer ${role}-token` });

export function snap(ups: string, at: number, status: string[], variables: Record<string, string> = {}): UpsSnapshot {
  return { ups, at, status, variables, comms: 'ok', lastContactAt: at };
}

export async function readRig(
  ups: FakeUps[] = [],
  extra: Partial<ReadApiDeps> & { failCommand?: string } = {},
): Promise<ReadRig> {
  const db = openDatabase(':memory:');
  let t = T0;
  const now = (): number => t;
  const ran: string[] = [];
  const verifyToken = (bearer: string): Principal | null => {
    const role = (['viewer', 'operator', 'admin'] as const).find((r) => bearer === `${r}-token`);
    return role ? { name: `token-${role}`, role, via: 'token', id: `t-${role}` } : null;
  };
  const auth = createWebAuth({ db, now, users: { verify: () => Promise.resolve(null) }, verifyToken });
  const watched: WatchedUps[] = ups.map((u) => ({
    name: u.name,
    snapshot: () => u.snapshot,
    problem: () => '',
    info: () => u.info ?? { kind: 'sim', location: `sim:${u.name}` },
    diagnostics: () => ({ relay: u.relay ?? null }),
  }));
  const { failCommand, ...readApis } = extra;
  const events = new EventsStore(db);
  const readings = new ReadingsStore(db);
  const app = buildServer(
    {
      ups: watched,
      events,
      readings,
      live: new Listeners<LiveEvents>(),
      log: createLogger({ level: 'silent' }),
      now,
      jobs: null,
      auth,
      readApis: {
        quickIntervalMs: 2000,
        commands: ups.map((u) => ({
          name: u.name,
          supportedCommands: () => u.commands ?? [],
          command: (cmd: UpsCommand) => {
            if (cmd === failCommand) return Promise.reject(new Error('the UPS did not answer'));
            ran.push(`${u.name}: ${cmd}`);
            return Promise.resolve();
          },
        })),
        ...readApis,
      },
    },
    { maxStreams: 0 },
  );
  closeAfterTest(app, db);
  await app.ready();
  return {
    app,
    db,
    events,
    readings,
    ran,
    advance: (ms) => {
      t += ms;
    },
    now,
  };
}
