/**
 * The config the package installs as /etc/upsguard/upsguard.yaml (a conffile): the demo (a simulated UPS and a
 * simulated cluster, so nothing real is ever powered off), with its store under /var/lib/upsguard and the page on
 * every address, so a fresh install answers from another machine at once. `upsguard setup` replaces it.
 */
import { stringify } from 'yaml';
import { demoConfig } from '../src/config/demo.js';
import { validateConfig } from '../src/config/load.js';
import type { ConfigInput } from '../src/config/schema.js';

export const PACKAGED_CONFIG_PATH = '/etc/upsguard/upsguard.yaml';
export const STATE_DIR = '/var/lib/upsguard';

export function packagedConfig(): ConfigInput {
  return {
    ...demoConfig,
    web: { host: '0.0.0.0', port: 8080 },
    store: { path: `${STATE_DIR}/upsguard.db` },
  };
}

const HEADER = `# /etc/upsguard/upsguard.yaml: upsguard's configuration (owner upsguard, mode 600).
#
# As installed this is the demo: a simulated UPS goes through outages and runs the shutdown plan on a simulated
# cluster; nothing real is touched. The page answers on https://THIS-HOST:8080 (a self-signed certificate kept in
# /var/lib/upsguard). Make it yours with \`upsguard setup\` (it edits this file), or edit it and check it with
#   upsguard config check /etc/upsguard/upsguard.yaml && systemctl reload upsguard
# Add a login for the page with: sudo -u upsguard upsguard user add NAME --role admin --config /etc/upsguard/upsguard.yaml
`;

/** The file's text; validated here so a package never ships a config its own service refuses. */
export function packagedConfigText(): string {
  const config = packagedConfig();
  validateConfig(config, PACKAGED_CONFIG_PATH, '/etc/upsguard', {});
  return `${HEADER}\n${stringify(config, { lineWidth: 0 })}`;
}
