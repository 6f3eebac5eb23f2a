/** NUT's printf formats and value-lookup tables, so variables read exactly as upsc prints them. */

/**
 * C's "%.Nf": like toFixed, except an exact binary tie rounds to even (glibc), where toFixed rounds up.
 */
export function formatFixed(value: number, decimals: number): string {
  const scaled = value * 10 ** decimals;
  if (
    Number.isFinite(scaled) &&
    Math.abs(scaled) < 2 ** 52 &&
    Number.isInteger(scaled * 2) &&
    !Number.isInteger(scaled)
  ) {
    const down = Math.floor(scaled);
    const even = down % 2 === 0 ? down : down + 1;
    const text = (even / 10 ** decimals).toFixed(decimals);
    return value < 0 && even === 0 ? `-${text}` : text;
  }
  return value.toFixed(decimals);
}

/** C's "%g" (6 significant digits), as NUT's debug lines print values. */
export function formatG(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  const [mantissa = '0', expText = '0'] = value.toExponential(5).split('e');
  const exp = Number(expText);
  const strip = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${strip(mantissa)}e${exp < 0 ? '-' : '+'}${e}`;
  }
  return strip(value.toFixed(5 - exp));
}

/** The formats NUT's mapping tables use: "%.0f", "%.1f", "%.2f". */
export function formatPrintf(format: string, value: number): string {
  const m = /^%\.(\d)f$/.exec(format);
  return formatFixed(value, m?.[1] === undefined ? 0 : Number(m[1]));
}

export const TEST_RESULT: Readonly<Record<number, string>> = {
  1: 'Done and passed',
  2: 'Done and warning',
  3: 'Done and error',
  4: 'Aborted',
  5: 'In progress',
  6: 'No test initiated',
  7: 'Test scheduled',
};

export const BEEPER_STATUS: Readonly<Record<number, string>> = { 1: 'disabled', 2: 'enabled', 3: 'muted' };

/** PDC ManufacturerDate packing: (year - 1980) * 512 + month * 32 + day. */
export function pdcDate(value: number): string {
  const v = Math.trunc(value);
  if (v === 0) return 'not set';
  const year = 1980 + (v >> 9);
  const month = (v >> 5) & 0x0f;
  const day = v & 0x1f;
  return `${String(year).padStart(4, '0')}/${String(month).padStart(2, '0')}/${String(day).padStart(2, '0')}`;
}

/** APC writes dates as hex digits read as decimal: 0x102202 is 2002/10/22. */
export function apcDate(value: number): string {
  const v = Math.trunc(value);
  if (v === 0) return 'not set';
  const digit = (shift: number): number => (v >> shift) & 0xf;
  const yy = digit(0) + 10 * digit(4);
  const month = digit(16) + 10 * digit(20);
  const day = digit(8) + 10 * digit(12);
  const year = yy >= 70 ? 1900 + yy : 2000 + yy;
  return `${year}/${String(month).padStart(2, '0')}/${String(day).padStart(2, '0')}`;
}

/** Values between 273 and 373 are kelvin; anything else was already Celsius (some HP firmware). */
export function kelvinToCelsius(value: number): string {
  return formatFixed(value >= 273 && value <= 373 ? value - 273.15 : value, 1);
}
