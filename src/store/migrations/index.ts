import { migration as m0001 } from './0001-2026-11-21-readings-and-events.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** In order; a migration, once released, never changes: add a new one. */
export const migrations: readonly Migration[] = [m0001];
