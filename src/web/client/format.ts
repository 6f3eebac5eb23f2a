// Numbers in words the way the server writes them ("2 min 10 s"), so live-updated parts read like the rest.

/** 2 min 10 s, 4 min, 1 h 5 min, 20 s: the server's own wording (src/util/duration-words.ts), not a copy of it. */
export { formatDuration as duration } from '../../util/duration-words.js';

/** A variable's number, or null when absent or not a number. */
export function num(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

export function time(iso: string | null): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function clockTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString();
}
