/** The file next to the config that `upsguard setup` writes and `upsguard status` reads its API token from. */
export const STATUS_TOKEN_FILE = 'status.token';

/** Where the package keeps it: next to /etc/upsguard/upsguard.yaml. */
export const SYSTEM_STATUS_TOKEN = `/etc/upsguard/${STATUS_TOKEN_FILE}`;
