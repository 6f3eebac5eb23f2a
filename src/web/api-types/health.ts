// Type-only: GET /healthz and GET /readyz. Public, so they carry nothing but whether the appliance works.
import type { CommsState } from '../../ups/events.js';

/** GET /healthz: the process answers (its event loop turns). */
export interface AliveResponse {
  readonly status: 'ok';
}

/** GET /readyz: 200 when every part runs, the store takes writes and every UPS is reached; else 503 with reasons. */
export interface ReadyResponse {
  readonly status: 'ready' | 'not_ready';
  /** Why not, one short sentence each; empty when ready. */
  readonly reasons: readonly string[];
  /** Each UPS's contact state. */
  readonly ups: Readonly<Record<string, CommsState>>;
}
