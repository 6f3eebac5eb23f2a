import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { App } from '../../src/app.js';
import { policyEditFacade } from '../../src/app/policy-edit-facade.js';
import { shutdownFacade } from '../../src/app/shutdown-facade.js';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/database.js';
import { EventsStore } from '../../src/store/events.js';
import { ReadingsStore } from '../../src/store/readings.js';
import { createWebAuth } from '../../src/web/auth/web-auth.js';
import { buildServer } from '../../src/web/server.js';
import { plainUsers } from './auth/rig.js';

// A real appliance started from a real YAML file (simulated UPS, in-memory store), and a web server over it with the
// real auth layer and the policy editor wired as app.ts wires it.

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

export interface EditRig {
  readonly app: App;
  readonly server: FastifyInstance;
  readonly file: string;
}

/** The app started from `text` written to a file of its own scratch directory (removed after the test). */
export async function startFromFile(text: string): Promise<EditRig> {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-edit-'));
  closers.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'upsguard.yaml');
  writeFileSync(file, text, { mode: 0o640 });
  const log = createLogger({ level: 'silent' });
  const app = new App({ loaded: loadConfigFile(file, {}), log });
  await app.start();
  closers.push(() => app.stop());
  const service = app.shutdown();
  const editor = app.configEditor();
  if (!service || !editor) throw new Error('the app has no shutdown side or editor');
  const db = openDatabase(':memory:');
  const server = buildServer({
    ups: app.handles(),
    events: new EventsStore(db),
    readings: new ReadingsStore(db),
    live: app.live,
    log,
    now: () => Date.now(),
    shutdown: shutdownFacade(service),
    policyEdit: policyEditFacade(service, editor, { publicStatus: false }),
    auth: createWebAuth({ db, now: () => Date.now(), users: plainUsers() }),
  });
  closers.push(async () => {
    await server.close();
    db.close();
  });
  return { app, server, file };
}
