/** One value of one series: what every collector here yields, rendered by prom-client at the end. */
export interface Sample {
  readonly name: string;
  readonly help: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** A metric name from free text (a NUT variable): every character Prometheus refuses becomes `_`. */
export function metricName(prefix: string, text: string): string {
  const name = `${prefix}_${text.replace(/[^a-zA-Z0-9_]/g, '_')}`;
  return METRIC_NAME.test(name) ? name : `${prefix}_invalid`;
}

/**
 * Renders the samples in the Prometheus text format through a Registry of its own, built per scrape: a series that
 * disappeared (a variable the UPS no longer reports, a relay removed) disappears from the next scrape instead of
 * lingering at its last value, and no global registry is touched. Samples of one name keep the first help text.
 */
export async function renderSamples(samples: readonly Sample[]): Promise<{ contentType: string; text: string }> {
  // Loaded at the first scrape, not at start: an appliance nobody scrapes never pays for the library.
  const { Gauge, Registry } = await import('prom-client');
  const registry = new Registry();
  const byName = new Map<string, { help: string; labelNames: Set<string>; samples: Sample[] }>();
  for (const s of samples) {
    let group = byName.get(s.name);
    if (!group) {
      group = { help: s.help, labelNames: new Set(), samples: [] };
      byName.set(s.name, group);
    }
    for (const l of Object.keys(s.labels)) group.labelNames.add(l);
    group.samples.push(s);
  }
  for (const [name, group] of byName) {
    const gauge = new Gauge({ name, help: group.help, labelNames: [...group.labelNames], registers: [registry] });
    for (const s of group.samples) {
      if (Object.keys(s.labels).length === 0) gauge.set(s.value);
      else gauge.set(s.labels, s.value);
    }
  }
  return { contentType: registry.contentType, text: await registry.metrics() };
}
