import type { Config } from '../../config/schema.js';
import { nutAliases } from './app-nut.js';

/**
 * The line printed at start of the demo naming its NUT users, so a real upsmon (or a NAS) can LOGIN and follow the
 * demo UPS. Only users with an upsmon role and a plain password are named; null when there are none or no server.
 */
export function demoNutLine(config: Readonly<Config>, address: { host: string; port: number } | null): string | null {
  if (!address) return null;
  const users = config.users.filter((u) => u.upsmon !== undefined && u.password !== undefined);
  if (users.length === 0) return null;
  const ups = config.ups[0]?.name;
  if (ups === undefined) return null;
  const aliases = Object.entries(nutAliases(config))
    .filter(([alias, target]) => target === ups && alias !== ups)
    .map(([alias]) => alias);
  const names = [ups, ...aliases].join(' or ');
  const who = users.map((u) => `${u.name} / ${u.password ?? ''} (${u.upsmon ?? ''})`).join(', ');
  return `upsguard: demo NUT server at ${address.host}:${address.port}, UPS ${names}; users ${who}`;
}
