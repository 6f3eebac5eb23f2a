/** What GET /metrics needs beyond the web façades (WebDeps.metrics); every field optional. */
export interface MetricsDeps {
  /** `web.metrics_networks`: who may scrape without a token (default loopback). */
  readonly networks?: readonly string[];
  /** The store file's size, null while it is in memory. */
  readonly storeSizeBytes?: () => number | null;
}

/** What GET /readyz needs beyond the web façades (WebDeps.health). */
export interface HealthDeps {
  /** The parts started, and those the appliance has but that are not (yet, or no longer) running. */
  readonly parts?: () => { readonly started: readonly string[]; readonly missing: readonly string[] };
}
