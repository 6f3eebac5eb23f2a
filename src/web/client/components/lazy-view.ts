// A view whose code is fetched when first shown: the first bundle holds the shell, the login and the overview, so the
// page a person opens most is parsed and run without the code of the other views (uPlot alone is a third of it).
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';

/** Wraps `load` (a dynamic import, which esbuild splits into its own file) as a component with the same props. */
export function lazyView<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  return function LazyView(props: P) {
    const [, setReady] = useState(false);
    const [error, setError] = useState<string | null>(null);
    useEffect(() => {
      if (loaded) return;
      let live = true;
      pending ??= load();
      pending.then(
        (view) => {
          loaded = view;
          if (live) setReady(true);
        },
        (e: unknown) => {
          // A failed fetch (the appliance restarting, say) is tried again when the view is next shown.
          pending = null;
          if (live) setError(e instanceof Error ? e.message : String(e));
        },
      );
      return () => {
        live = false;
      };
    }, []);
    if (loaded) return html`<${loaded} ...${props} />`;
    if (error)
      return html`<section class="view">
        <p class="banner bad" role="alert">This view could not be loaded: ${error}. Reload the page to try again.</p>
      </section>`;
    return html`<section class="view"><p class="muted">Loading…</p></section>`;
  };
}
