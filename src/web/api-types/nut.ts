// Type-only: GET /api/nut and the UPS command routes. The page imports these with `import type`.
import type { WebRole } from '../access.js';

/** A NUT client logged in to a UPS. */
export interface NutClientView {
  readonly address: string;
  readonly user: string;
  /** The user's upsmon role; null for a user without one (a plain reader). */
  readonly upsmon: 'primary' | 'secondary' | null;
  readonly ups: string;
  /** ISO 8601 of the LOGIN. */
  readonly since: string;
}

export interface NutUpsView {
  readonly name: string;
  /** Whether the FSD latch is set (until the server restarts, as in upsd). */
  readonly fsd: boolean;
  readonly logins: number;
}

/**
 * GET /api/nut. `listening` with its address, or `disabled` (nut_server.enabled: false) or `failed` with why (the
 * port was in use, say).
 */
/** The `_nut._tcp` mDNS advertisement: off (loopback, or configured off), advertising under a name, or failed. */
export type NutMdnsView =
  | { readonly state: 'off'; readonly reason: string }
  | { readonly state: 'advertising'; readonly name: string; readonly port: number }
  | { readonly state: 'failed'; readonly reason: string };

export interface NutStateResponse {
  readonly state: 'listening' | 'disabled' | 'failed';
  readonly host: string | null;
  readonly port: number | null;
  /** Why the server is not listening; null while it is. */
  readonly reason: string | null;
  readonly clients: readonly NutClientView[];
  readonly ups: readonly NutUpsView[];
  /** Absent where the server runs without the app (web-only rigs). */
  readonly mdns?: NutMdnsView;
}

/** An instant command the UPS supports. */
export interface UpsCommandView {
  readonly name: string;
  readonly description: string;
  /** The least role that may run it: operator for beeper.* and test.battery.*, admin for the rest. */
  readonly access: Exclude<WebRole, 'viewer'>;
  /** Whether it cuts or may cut power: the request must carry `confirm` equal to the UPS name. */
  readonly confirm: boolean;
}

/** GET /api/ups/:name/commands */
export interface UpsCommandsResponse {
  readonly ups: string;
  readonly commands: readonly UpsCommandView[];
}

/** POST /api/ups/:name/commands/:cmd */
export interface UpsCommandResult {
  readonly ok: boolean;
  readonly message: string;
}
