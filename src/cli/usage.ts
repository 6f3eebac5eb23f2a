export const USAGE = `upsguard: power protection for home labs and small clusters

Usage:
  upsguard serve [--config FILE]        run the appliance (no config: the demo on a simulated UPS)
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
  upsguard relay [--listen HOST:PORT] [--psk-file FILE] [--db FILE] [--vid HEX --pid HEX | --serial S | --path P]
                 [--simulate DEVICE [--scenario FILE] [--time-scale N]] [--insecure] [--config FILE]
                                        run the relay agent on the host the UPS is plugged into (default port 3496)
  upsguard relay release DEVICE [--db FILE]
                                        free a device's controller claim by force
  upsguard devices [--db FILE] | --relay relay://HOST:PORT --identity ID --psk-file FILE
                                        this host's USB devices like lsusb (with claim state), or an agent's
  upsguard --version | --help

Environment:
  UPSGUARD_CONFIG     configuration file, when --config is not given
`;
