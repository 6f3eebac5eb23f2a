/** `upsguard devices attach|detach|attachments`, also printed by that command on a usage error. */
export const DEVICES_ATTACH_USAGE = `\
  upsguard devices attach DEVICE --vm NAME --agent HOST:PORT [platform options] [--reconnect-s N]
        [--tls x509|psk --tls-dir DIR [--psk-identity ID]]
                                        give a VM the agent's usbredir endpoint for DEVICE (kept in its config;
                                        the VM boots without the device and gets it when it returns)
  upsguard devices detach DEVICE --vm NAME [platform options]
  upsguard devices attachments [platform options] [--json]
                                        which VM holds which device
  platform options: [--platform libvirt] [--connect URI] (default qemu:///system)
                    --platform proxmox --proxmox-url https://HOST:8006 (--user root@pam --password-file FILE
                    | --token-id USER@REALM!ID --token-file FILE) [--fingerprint SHA256 | --ca-file FILE | --insecure]
                    (attach/detach need root@pam: Proxmox lets no API token set a VM's args; a token can list)`;

export const USAGE = `upsguard: power protection for home labs and small clusters

Usage:
  upsguard serve [--config FILE] [--log-format auto|text|json]
                                        run the appliance (no config: the demo on a simulated UPS); SIGHUP reloads
                                        the config file (invalid: refused, the old one stays in force)
  upsguard config check FILE            validate a configuration file; exit 1 listing every problem
  upsguard hid inspect --descriptor FILE [--reports FILE] [--vid HEX --pid HEX] [--json]
                                        decode a UPS report descriptor (and reports) as NUT would
  upsguard sim devices                  list the recorded UPSes the simulator can play
  upsguard plan show [--config FILE]    the resolved shutdown plan, each target's estimate, the whole estimate
  upsguard plan check [--config FILE]   run the plan dry (discovery, checks, power reads); exit 1 listing failures
  upsguard web fingerprint [--config FILE] [--make]
                                        the SHA-256 fingerprint of the console's HTTPS certificate (--make: make it)
  upsguard user add NAME --role viewer|operator|admin [--config FILE] [--password-file FILE]
                                        hash a password (from the file, or stdin) into the config's users
  upsguard user list [--config FILE]    the configured users and their web and NUT roles
  upsguard setup [--config FILE] [--non-interactive] [flags…]
                                        ask (or take from flags) the UPS, the platforms, the plan and the admin;
                                        test each credential, write the config, run the plan dry (README: Setup)
  upsguard relay [--listen HOST:PORT] [--psk-file FILE] [--db FILE] [--vid HEX --pid HEX | --serial S | --path P]
                 [--simulate DEVICE [--scenario FILE] [--time-scale N]] [--insecure] [--config FILE]
                                        run the relay agent on the host the UPS is plugged into (default port 3496)
  upsguard relay release DEVICE [--db FILE]
                                        free a device's controller claim by force
  upsguard devices [--db FILE] | --relay relay://HOST:PORT --identity ID --psk-file FILE
                                        this host's USB devices like lsusb (with claim state), or an agent's
${DEVICES_ATTACH_USAGE}
  upsguard status [--url URL] [--token-file FILE] [--config FILE] [--json]
                                        the running service on one screen; exit 1 when something needs attention,
                                        2 when it cannot be reached (token: --token-file, UPSGUARD_TOKEN or
                                        /etc/upsguard/status.token; an API token with the read scope)
  upsguard backup FILE [--config FILE]  the config and a consistent copy of the store, while the service runs
  upsguard restore FILE [--data-dir DIR] [--config FILE]
                                        put a backup back (refuses a newer version's, and a store in use)
  upsguard --version | --help

Environment:
  UPSGUARD_CONFIG     configuration file, when --config is not given
  UPSGUARD_TOKEN      the API token upsguard status sends, when --token-file is not given
`;
