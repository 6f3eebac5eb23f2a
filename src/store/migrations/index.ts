import { migration as m0001 } from './0001-2026-11-21-readings-and-events.js';
import { migration as m0002 } from './0002-2026-11-21-shutdown-runs.js';
import { migration as m0003 } from './0003-2026-12-01-shutdown-latch.js';
import { migration as m0004 } from './0004-2026-12-01-step-outcome.js';
import { migration as m0005 } from './0005-2026-12-02-web-auth.js';
import { migration as m0006 } from './0006-2026-12-02-api-tokens.js';
import { migration as m0007 } from './0007-2026-12-02-history-rollups.js';
import { migration as m0008 } from './0008-2026-12-02-restore.js';
import { migration as m0009 } from './0009-2026-12-02-notify-queue.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** In order; a migration, once released, never changes: add a new one. */
export const migrations: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009];
