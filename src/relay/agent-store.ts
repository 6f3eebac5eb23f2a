import { openDatabase, type Db } from '../store/database.js';
import type { DeviceState } from './protocol.js';
import { migration as m0001 } from './migrations/0001-2026-11-21-devices-and-claims.js';

export interface DeviceRow {
  name: string;
  identity: string;
  vendorId: number;
  productId: number;
  bus: number | null;
  deviceNumber: number | null;
  portPath: string | null;
  consumer: string | null;
  state: DeviceState;
  stateChangedAt: number;
}

export interface Claim {
  device: string;
  identity: string;
  leaseUntil: number;
  claimedAt: number;
}

export type ClaimResult = { ok: true; claim: Claim } | { ok: false; holder: Claim };

/**
 * The agent's own SQLite file: the table of exported devices and the controller claims. Claims live here, not in
 * memory, so they outlast an agent restart and `upsguard relay release` can free one from another process.
 */
export class AgentStore {
  readonly db: Db;

  constructor(path: string) {
    this.db = openDatabase(path, [m0001]);
  }

  close(): void {
    this.db.close();
  }

  upsertDevice(row: DeviceRow): void {
    this.db
      .prepare(
        `INSERT INTO devices (name, identity, vendor_id, product_id, bus, device_number, port_path, consumer, state, state_changed_at)
         VALUES (@name, @identity, @vendorId, @productId, @bus, @deviceNumber, @portPath, @consumer, @state, @stateChangedAt)
         ON CONFLICT (name) DO UPDATE SET identity = excluded.identity, vendor_id = excluded.vendor_id,
           product_id = excluded.product_id, bus = excluded.bus, device_number = excluded.device_number,
           port_path = excluded.port_path, consumer = excluded.consumer,
           state_changed_at = CASE WHEN state = excluded.state AND consumer IS excluded.consumer
                                   THEN state_changed_at ELSE excluded.state_changed_at END,
           state = excluded.state`,
      )
      .run(row);
  }

  devices(): DeviceRow[] {
    return this.db
      .prepare(
        `SELECT name, identity, vendor_id AS vendorId, product_id AS productId, bus, device_number AS deviceNumber,
                  port_path AS portPath, consumer, state, state_changed_at AS stateChangedAt FROM devices ORDER BY name`,
      )
      .all() as DeviceRow[];
  }

  claim(device: string): Claim | undefined {
    return this.db
      .prepare(
        'SELECT device, identity, lease_until AS leaseUntil, claimed_at AS claimedAt FROM claims WHERE device = ?',
      )
      .get(device) as Claim | undefined;
  }

  /** Takes or renews the claim for `identity`; refused while another identity's lease runs. */
  acquire(device: string, identity: string, now: number, leaseMs: number): ClaimResult {
    return this.db.transaction((): ClaimResult => {
      const current = this.claim(device);
      if (current && current.identity !== identity && current.leaseUntil > now) return { ok: false, holder: current };
      const claimedAt = current?.identity === identity ? current.claimedAt : now;
      this.db
        .prepare(
          `INSERT INTO claims (device, identity, lease_until, claimed_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (device) DO UPDATE SET identity = excluded.identity, lease_until = excluded.lease_until,
             claimed_at = excluded.claimed_at`,
        )
        .run(device, identity, now + leaseMs, claimedAt);
      return { ok: true, claim: { device, identity, leaseUntil: now + leaseMs, claimedAt } };
    })();
  }

  /** Whether `identity` holds a live claim on `device` now. */
  holds(device: string, identity: string, now: number): boolean {
    const c = this.claim(device);
    return c !== undefined && c.identity === identity && c.leaseUntil > now;
  }

  release(device: string, identity?: string): boolean {
    const info =
      identity === undefined
        ? this.db.prepare('DELETE FROM claims WHERE device = ?').run(device)
        : this.db.prepare('DELETE FROM claims WHERE device = ? AND identity = ?').run(device, identity);
    return info.changes > 0;
  }
}
