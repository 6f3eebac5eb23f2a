import type { WebDeps } from '../../web/deps.js';
import { nutExporterSamples } from './nut-exporter.js';
import { renderSamples } from './samples.js';
import { upsguardSamples, type MetricsSources } from './upsguard-samples.js';

/** The sources of the metrics, from what the web routes are given. */
export function metricsSources(deps: WebDeps): MetricsSources {
  return {
    ups: deps.ups,
    shutdown: deps.shutdown ?? null,
    ...(deps.readApis?.nut ? { nut: deps.readApis.nut } : {}),
    ...(deps.store ? { store: deps.store } : {}),
    ...(deps.metrics?.storeSizeBytes ? { storeSizeBytes: deps.metrics.storeSizeBytes } : {}),
    now: deps.now,
  };
}

/** The whole scrape: every UPS's readings as nut_exporter names them, then upsguard's own. */
export function renderMetrics(src: MetricsSources): Promise<{ contentType: string; text: string }> {
  const samples = src.ups.flatMap((u) => nutExporterSamples(u.name, u.snapshot()));
  samples.push(...upsguardSamples(src));
  return renderSamples(samples);
}
