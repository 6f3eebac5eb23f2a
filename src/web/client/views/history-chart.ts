// One uPlot chart: the average as a line, the rollups' min..max as a band around it, events as vertical markers.
// Drag to zoom (uPlot's select); a double click resets. uPlot (a third of the page's code) is fetched when the first
// chart is drawn, so the overview, which a person opens most, is parsed and run without it.
import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';
import { html } from '../html.js';
import type { HistoryMarker, HistorySeries } from '../types.js';

export interface ChartSpec {
  readonly variable: string;
  readonly label: string;
  readonly unit: string;
  /** Seconds shown as minutes: a runtime axis in minutes reads better. */
  readonly scale?: number;
}

let uplot: Promise<typeof uPlot> | null = null;

/** uPlot's file, fetched once; a failed fetch (the appliance restarting, say) is tried again at the next chart. */
function loadUplot(): Promise<typeof uPlot> {
  uplot ??= import('uplot').then(
    (m) => m.default,
    (e: unknown) => {
      uplot = null;
      throw e;
    },
  );
  return uplot;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

const SEVERITY_VAR: Record<string, string> = { critical: '--bad', warning: '--warn', info: '--ok' };

function markersPlugin(markers: readonly HistoryMarker[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const ctx = u.ctx;
        ctx.save();
        ctx.lineWidth = 2 * devicePixelRatio;
        for (const m of markers) {
          const x = u.valToPos(Date.parse(m.at) / 1000, 'x', true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.strokeStyle = cssVar(SEVERITY_VAR[m.severity] ?? '--muted', '#888');
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
        }
        ctx.restore();
      },
    },
  };
}

/** The server's columns as uPlot's: x in seconds, values in the chart's unit. */
function toData(s: HistorySeries, scale: number): uPlot.AlignedData {
  return [
    s.at.map((ms) => ms / 1000),
    s.min.map((v) => v / scale),
    s.avg.map((v) => v / scale),
    s.max.map((v) => v / scale),
  ];
}

export function HistoryChart(props: {
  spec: ChartSpec;
  series: HistorySeries;
  markers: readonly HistoryMarker[];
  from: number;
  to: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const line = cssVar('--accent', '#2563eb');
    const band = cssVar('--band', 'rgba(37, 99, 235, 0.18)');
    const text = cssVar('--fg', '#222');
    const grid = cssVar('--grid', 'rgba(128, 128, 128, 0.25)');
    const axis: uPlot.Axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const unit = props.spec.unit;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 200,
      cursor: {
        drag: { x: true, y: false },
        // A double click goes back to the range asked for (uPlot's own reset would fit the data instead).
        bind: {
          dblclick: (u) => () => {
            u.setScale('x', { min: props.from / 1000, max: props.to / 1000 });
            return null;
          },
        },
      },
      legend: { show: true },
      scales: { x: { time: true, min: props.from / 1000, max: props.to / 1000 } },
      series: [
        {},
        { label: 'min', stroke: 'transparent', points: { show: false }, value: (_u, v) => fmt(v, unit) },
        { label: props.spec.label, stroke: line, width: 2, points: { show: false }, value: (_u, v) => fmt(v, unit) },
        { label: 'max', stroke: 'transparent', points: { show: false }, value: (_u, v) => fmt(v, unit) },
      ],
      bands: [{ series: [3, 1], fill: band }],
      axes: [axis, { ...axis, values: (_u, splits) => splits.map((v) => `${v} ${unit}`), size: 70 }],
      plugins: [markersPlugin(props.markers)],
      hooks: {
        // The shown time range on the element, so zoom can be seen (and tested) from outside the canvas.
        setScale: [
          (u: uPlot, key: string) => {
            if (key === 'x') el.dataset.xRange = `${u.scales.x?.min ?? ''}..${u.scales.x?.max ?? ''}`;
          },
        ],
      },
    };
    let live = true;
    let plot: uPlot | null = null;
    const resize = new ResizeObserver(() => {
      plot?.setSize({ width: Math.max(200, el.clientWidth), height: 200 });
    });
    loadUplot().then(
      (UPlot) => {
        if (!live) return;
        plot = new UPlot(opts, toData(props.series, props.spec.scale ?? 1), el);
        resize.observe(el);
      },
      (e: unknown) => {
        if (live) el.textContent = `The chart could not be loaded: ${e instanceof Error ? e.message : String(e)}.`;
      },
    );
    return () => {
      live = false;
      resize.disconnect();
      plot?.destroy();
    };
  }, [props.series, props.markers, props.from, props.to]);
  return html`<figure class="chart" data-var=${props.spec.variable}>
    <figcaption>${props.spec.label}</figcaption>
    <div
      ref=${box}
      class="chart-box"
      role="img"
      aria-label=${`${props.spec.label} over time, ${props.series.at.length} points`}
    ></div>
  </figure>`;
}

function fmt(v: number | null, unit: string): string {
  return v === null ? '–' : `${Math.round(v * 10) / 10} ${unit}`;
}
