// The shell's wording of durations and times (../format.ts), with what the run views add: tenths of a second for
// the short steps of a fast dry run, and a dash for "not known".
import { duration, time } from '../format.js';

export function secs(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  return s < 10 ? `${Math.round(s * 10) / 10} s` : duration(s);
}

export function when(iso: string | null | undefined): string {
  return iso ? time(iso) : '–';
}
