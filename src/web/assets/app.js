// The status page: first paint from /api/status and /api/events, then live from /api/stream (SSE).
const list = document.getElementById('ups-list');
const template = document.getElementById('ups-card');
const eventsEl = document.getElementById('events');
const noEvents = document.getElementById('no-events');
const live = document.getElementById('live');
const storeBanner = document.getElementById('store-banner');
const seenEvents = new Set();
const cards = new Map();

const STATUS_WORDS = {
  OL: 'on line',
  OB: 'on battery',
  LB: 'low battery',
  CHRG: 'charging',
  DISCHRG: 'discharging',
  RB: 'replace battery',
  OVER: 'overload',
  TRIM: 'trimming',
  BOOST: 'boosting',
  CAL: 'calibrating',
  OFF: 'output off',
  BYPASS: 'bypass',
  FSD: 'forced shutdown',
};
// Each event's severity comes with it from the server: the one list of names and severities is there.
const SEVERITY_CLASS = { critical: 'bad', warning: 'warn', info: 'ok' };

function fmtRuntime(text) {
  const s = Number(text);
  if (!Number.isFinite(s)) return '–';
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min ${Math.round(s % 60)} s`;
}

// "Relay unreachable" and "UPS detached at the agent" are different troubles with different fixes: say which.
function relayText(ups) {
  const r = ups.relay;
  if (!r) return null;
  const link =
    { connected: 'link up', reconnecting: 'reconnecting', unreachable: 'RELAY UNREACHABLE', connecting: 'connecting' }[
      r.link
    ] ?? r.link;
  const device =
    r.device === 'detached'
      ? 'UPS DETACHED AT THE AGENT'
      : r.device === 'attached'
        ? 'UPS attached'
        : 'UPS state unknown';
  const rtt = r.rttMs === null ? '' : `, round trip ${r.rttMs.toFixed(2)} ms`;
  // The claim actually held at the agent: a refused one means this appliance cannot send the load-off.
  const claim =
    r.claim === 'refused'
      ? `, CLAIM REFUSED: ${r.claimProblem ?? 'another appliance controls this UPS'}`
      : r.controller
        ? ', controller'
        : ', observer';
  return `relay ${r.url} via ${r.agentHost ?? 'agent'}: ${link}, ${device}${rtt}${claim}`;
}

function field(card, name) {
  return card.querySelector(`[data-field="${name}"]`);
}

function cardFor(name) {
  let card = cards.get(name);
  if (!card) {
    card = template.content.firstElementChild.cloneNode(true);
    card.dataset.ups = name;
    card.querySelector('.ups-name').textContent = name;
    list.append(card);
    cards.set(name, card);
    loadHistory(name);
  }
  return card;
}

function render(ups) {
  const card = cardFor(ups.name);
  const v = ups.variables;
  const status = ups.status;
  const charge = Number(v['battery.charge']);
  field(card, 'description').textContent = ups.description ?? '';
  field(card, 'charge').textContent = Number.isFinite(charge) ? `${charge} %` : '–';
  field(card, 'runtime').textContent = fmtRuntime(v['battery.runtime']);
  // Some UPSes (an APC Back-UPS CS) report neither; say so rather than show a blank.
  // "not reported" is a fact about a UPS that answered; one never reached has reported nothing at all.
  const absent = ups.lastContact ? 'not reported' : '–';
  field(card, 'load').textContent = v['ups.load'] !== undefined ? `${v['ups.load']} %` : absent;
  field(card, 'input').textContent = v['input.voltage'] !== undefined ? `${v['input.voltage']} V` : absent;
  field(card, 'status').textContent = status.length ? status.join(' ') : '–';
  field(card, 'status').title = status.map((t) => STATUS_WORDS[t] ?? t).join(', ');
  field(card, 'updated').textContent = ups.lastContact ? new Date(ups.lastContact).toLocaleTimeString() : 'never';
  field(card, 'source').textContent = relayText(ups) ?? `${ups.source.kind}: ${ups.source.location}`;
  const problem = field(card, 'problem');
  problem.hidden = !ups.problem;
  problem.textContent = ups.problem ?? '';

  const state = field(card, 'state');
  const onBattery = status.includes('OB');
  const low = status.includes('LB');
  const neverReached = !ups.lastContact;
  state.textContent = low
    ? 'LOW BATTERY'
    : onBattery
      ? 'ON BATTERY'
      : status.includes('OL')
        ? 'ON LINE'
        : neverReached
          ? 'NEVER REACHED'
          : 'UNKNOWN';
  state.className = `badge state ${low || neverReached ? 'bad' : onBattery ? 'warn' : status.includes('OL') ? 'ok' : 'unknown'}`;
  const comms = field(card, 'comms');
  const commsText = { ok: 'comms ok', stale: 'comms stale', lost: 'comms lost', unknown: 'no contact' };
  comms.textContent = commsText[ups.comms] ?? ups.comms;
  comms.className = `badge comms ${ups.comms === 'ok' ? 'ok' : ups.comms === 'stale' ? 'warn' : 'bad'}`;

  const gauge = card.querySelector('.gauge');
  const fill = card.querySelector('.gauge-fill');
  fill.style.width = `${Number.isFinite(charge) ? Math.max(0, Math.min(100, charge)) : 0}%`;
  fill.className = `gauge-fill ${charge <= 20 ? 'bad' : charge <= 50 ? 'warn' : ''}`;
  gauge.setAttribute('aria-valuenow', Number.isFinite(charge) ? String(charge) : '0');
  if (Number.isFinite(charge) && ups.lastUpdate) pushSpark(card, Date.parse(ups.lastUpdate), charge);
}

function pushSpark(card, at, value) {
  const pts = (card._spark ??= []);
  pts.push([at, value]);
  const cutoff = at - 3_600_000;
  while (pts.length && pts[0][0] < cutoff) pts.shift();
  drawSpark(card);
}

function drawSpark(card) {
  const pts = card._spark ?? [];
  if (!pts.length) return;
  const t1 = pts[pts.length - 1][0];
  const t0 = Math.min(pts[0][0], t1 - 60_000);
  const line = card.querySelector('.spark polyline');
  line.setAttribute(
    'points',
    pts
      .map(([t, v]) => `${(((t - t0) / (t1 - t0 || 1)) * 300).toFixed(1)},${(60 - (v / 100) * 58 - 1).toFixed(1)}`)
      .join(' '),
  );
}

async function loadHistory(name) {
  try {
    const res = await fetch(`/api/history?ups=${encodeURIComponent(name)}&var=battery.charge`);
    if (!res.ok) return;
    const body = await res.json();
    const card = cards.get(name);
    card._spark = body.points.map((p) => [Date.parse(p.at), p.avg]).concat(card._spark ?? []);
    card._spark.sort((a, b) => a[0] - b[0]);
    drawSpark(card);
  } catch {
    // History is decoration; the live values are what matter.
  }
}

function addEvent(e) {
  if (seenEvents.has(e.id)) return;
  seenEvents.add(e.id);
  noEvents.hidden = true;
  const li = document.createElement('li');
  li.dataset.type = e.type;
  const time = document.createElement('time');
  time.dateTime = e.at;
  time.textContent = new Date(e.at).toLocaleTimeString();
  const type = document.createElement('span');
  type.className = `badge ${SEVERITY_CLASS[e.severity] ?? 'ok'}`;
  type.textContent = e.type;
  const msg = document.createElement('span');
  msg.textContent = e.ups ? `${e.ups}: ${e.message}` : e.message;
  li.append(time, type, msg);
  eventsEl.prepend(li);
  while (eventsEl.children.length > 200) eventsEl.lastElementChild.remove();
}

async function firstPaint() {
  const [status, events] = await Promise.all([
    fetch('/api/status').then((r) => r.json()),
    fetch('/api/events?limit=50').then((r) => r.json()),
  ]);
  status.ups.forEach(render);
  renderStore(status.store);
  events.events.forEach(addEvent);
}

// Protection goes on without the disk; the owner must still know that history is not being kept.
function renderStore(store) {
  const down = store && !store.historyKept;
  storeBanner.hidden = !down;
  storeBanner.textContent = down
    ? `History is not being kept on disk since ${new Date(store.since).toLocaleTimeString()}: ${store.reason}. Protection goes on; the store is retried.`
    : '';
}

async function refreshStore() {
  try {
    renderStore((await fetch('/api/status').then((r) => r.json())).store);
  } catch {
    // the next store event tries again
  }
}

function connect() {
  const es = new EventSource('/api/stream');
  es.addEventListener('open', () => {
    live.textContent = 'live';
    live.className = 'badge ok';
  });
  es.addEventListener('error', () => {
    live.textContent = 'reconnecting…';
    live.className = 'badge warn';
  });
  es.addEventListener('snapshot', (m) => render(JSON.parse(m.data)));
  es.addEventListener('event', (m) => {
    const e = JSON.parse(m.data);
    addEvent(e);
    if (e.type === 'STORE_FAILED' || e.type === 'STORE_OK') void refreshStore();
  });
}

firstPaint()
  .catch(() => undefined)
  .finally(connect);
