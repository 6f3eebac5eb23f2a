import { z } from 'zod';

/**
 * The one rule for the names a user gives things (UPSes, drivers, phases, plans, hosts): letters, digits, dot, dash
 * or underscore, so they are safe in NUT commands, URLs, log lines and file names. UPS names are shorter, as NUT
 * clients print them in fixed columns.
 */
export function nameRule(max = 64): z.ZodString {
  return z
    .string()
    .regex(new RegExp(`^[A-Za-z0-9_.-]{1,${max}}$`), `use 1-${max} letters, digits, dot, dash or underscore`);
}
