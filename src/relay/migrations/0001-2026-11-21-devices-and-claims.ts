export const migration = {
  version: 1,
  name: '2026-11-21 exported devices and claims',
  sql: `
    CREATE TABLE devices (
      name TEXT PRIMARY KEY,
      identity TEXT NOT NULL,
      vendor_id INTEGER NOT NULL,
      product_id INTEGER NOT NULL,
      bus INTEGER,
      device_number INTEGER,
      port_path TEXT,
      consumer TEXT,
      state TEXT NOT NULL CHECK (state IN ('available', 'attaching', 'attached', 'failed', 'missing')),
      state_changed_at INTEGER NOT NULL
    );
    CREATE TABLE claims (
      device TEXT PRIMARY KEY,
      identity TEXT NOT NULL,
      lease_until INTEGER NOT NULL,
      claimed_at INTEGER NOT NULL
    );
  `,
};
