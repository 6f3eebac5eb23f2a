export const USAGE = `upsguard: power protection for home labs and small clusters

Usage:
  upsguard serve [--config FILE]        run the appliance (no config: the demo on a simulated UPS)
  upsguard config check FILE            validate a configuration file; exit 1 listing every problem
  upsguard hid inspect --descriptor FILE [--reports FILE] [--vid HEX --pid HEX] [--json]
                                        decode a UPS report descriptor (and reports) as NUT would
  upsguard sim devices                  list the recorded UPSes the simulator can play
  upsguard --version | --help

Environment:
  UPSGUARD_CONFIG     configuration file, when --config is not given
`;
