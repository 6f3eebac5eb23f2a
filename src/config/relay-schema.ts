import { z } from 'zod';

/** A UPS read through `upsguard relay` on another host: `relay://HOST[:PORT]/SELECTOR`. */
export const relaySource = z.strictObject({
  kind: z.literal('relay'),
  url: z.string().regex(/^relay:\/\/[^/]+(\/.*)?$/, 'expected relay://HOST[:PORT]/SELECTOR'),
  /** This appliance's PSK identity, as listed in the agent's key file. */
  identity: z.string().regex(/^[A-Za-z0-9_.@:-]{1,128}$/, 'letters, digits and _ . @ : - only'),
  /** The key in hex (give it as psk_file: or psk_env:); at least 32 bytes. */
  psk: z
    .string()
    .regex(/^([0-9a-fA-F]{2}){32,}$/, 'expected at least 32 bytes in hex')
    .optional(),
  /** Plain TCP to an agent started with --insecure on a loopback address (tests, a local tunnel). */
  insecure: z.boolean().default(false),
  /** control: this appliance may send the load-off; observe: read only. */
  mode: z.enum(['control', 'observe']).default('control'),
  heartbeat_s: z.number().positive().max(60).default(5),
  /** No link for this long: the relay is lost, which makes COMMBAD. */
  lost_after_s: z.number().positive().max(600).default(20),
  request_timeout_ms: z.number().int().positive().default(3000),
  connect_timeout_ms: z.number().int().positive().default(5000),
  reconnect_base_ms: z.number().int().positive().default(500),
  reconnect_max_ms: z.number().int().positive().default(10_000),
});

/** The agent's own settings (`upsguard relay --config FILE`); its flags override them. */
export const relayAgentSchema = z
  .strictObject({
    listen: z.string().default('127.0.0.1:3496'),
    /** Lines `IDENTITY HEXKEY`; must not be readable by group or others. */
    keys_file: z.string().optional(),
    insecure: z.boolean().default(false),
    db: z.string().default('data/relay.db'),
    lease_s: z.number().positive().default(120),
    idle_timeout_s: z.number().positive().default(30),
    /** A connection that has not finished its TLS handshake by then is closed. */
    handshake_timeout_ms: z.number().int().positive().default(10_000),
    /** Connections still in their handshake, per address and in all: silent sockets cannot lock the appliance out. */
    max_pending_handshakes_per_address: z.number().int().min(1).default(8),
    max_pending_handshakes: z.number().int().min(1).default(64),
    feature_cache_ms: z.number().int().min(0).default(250),
    ring_size: z.number().int().min(16).max(1_000_000).default(4096),
    device: z
      .strictObject({
        vendor_id: z
          .string()
          .regex(/^[0-9a-fA-F]{4}$/)
          .optional(),
        product_id: z
          .string()
          .regex(/^[0-9a-fA-F]{4}$/)
          .optional(),
        serial: z.string().optional(),
        path: z.string().optional(),
      })
      .prefault({}),
    /**
     * Exports the device to QEMU's usb-redir on its own port. TLS 1.3 PSK with keys_file (QEMU tls-creds-psk; the
     * username is the claim's identity); plain TCP only with insecure on loopback or a management_addresses entry.
     */
    usbredir: z
      .strictObject({
        listen: z.string(),
        insecure: z.boolean().default(false),
        management_addresses: z.array(z.string()).default([]),
        /**
         * Other host USB devices (a licence dongle, a second UPS owned whole) exported through libusb, each on its own
         * port; the host's kernel driver is detached while one is exported and given back after.
         */
        host_devices: z
          .array(
            z
              .strictObject({
                name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only'),
                listen: z.string(),
                vendor_id: z
                  .string()
                  .regex(/^[0-9a-fA-F]{4}$/)
                  .optional(),
                product_id: z
                  .string()
                  .regex(/^[0-9a-fA-F]{4}$/)
                  .optional(),
                serial: z.string().optional(),
                /** The port path, e.g. 1-1.4: the device in that port, whatever it is. */
                path: z.string().optional(),
              })
              .refine((d) => d.path !== undefined || (d.vendor_id !== undefined && d.product_id !== undefined), {
                message: 'name the device by path, or by vendor_id and product_id',
              }),
          )
          .default([]),
      })
      .optional(),
    simulate: z.string().optional(),
    scenario: z.string().default('steady'),
    time_scale: z.number().positive().default(1),
  })
  .optional();
