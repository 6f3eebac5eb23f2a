// Durations in the words the appliance writes them, on both sides: the server's sentences (src/shutdown/forecast.ts)
// and the page's live clocks (src/web/client/format.ts), which move those sentences on between messages and must read
// the same. Pure, no imports: the page's bundle takes it as it is (the one value import eslint lets the page make from
// outside src/web/client/).

/** 2 min 10 s, 4 min, 1 h 5 min, 20 s: seconds rounded; under a minute in seconds, under an hour without hours. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
