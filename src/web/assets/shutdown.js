// The shutdown part of the page: the plan in order with its estimate against the runtime left, the simulated
// cluster, the runs with their steps, and the test-shutdown button (dry by default; real asks for the plan's name).
const planEl = document.getElementById('plan');
const runsEl = document.getElementById('runs');
const clusterEl = document.getElementById('cluster');
const driversEl = document.getElementById('drivers');
const testForm = document.getElementById('test-shutdown');
const testResult = document.getElementById('test-result');
let planName = null;
let openRun = null;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const secs = (s) =>
  s === null || s === undefined ? '–' : s >= 90 ? `${Math.round(s / 6) / 10} min` : `${Math.round(s * 10) / 10} s`;

function renderPlan(data) {
  planEl.replaceChildren();
  const d = data.decision;
  const level = d ? d.level : 'normal';
  planEl.append(
    el(
      'p',
      {
        'data-field': 'decision',
        class: `badge ${level === 'critical' ? 'bad' : level === 'warning' ? 'warn' : 'ok'}`,
      },
      level === 'normal' ? 'policy: normal' : `policy: ${level} — ${d.reasons.map((r) => r.message).join('; ')}`,
    ),
  );
  if (!data.plan) {
    planEl.append(
      el('p', { class: 'muted' }, data.problems.length ? 'The plan is invalid:' : 'No shutdown plan configured.'),
    );
    const ul = el('ul', { class: 'problems' });
    for (const p of data.problems) ul.append(el('li', {}, `[${p.rule}] ${p.message}`));
    planEl.append(ul);
    return;
  }
  planName = data.plan.name;
  const est = data.estimate ? data.estimate.totalS : null;
  const left = data.runtimeLeftS;
  const tight = est !== null && left !== null && left < est;
  planEl.append(
    el(
      'p',
      { 'data-field': 'estimate', class: tight ? 'problem' : '' },
      `Plan ${data.plan.name}: about ${secs(est)} end to end; runtime left ${secs(left)}`,
    ),
  );
  const ol = el('ol', { class: 'phases' });
  for (const p of data.plan.phases) {
    const li = el('li', { 'data-phase': p.name });
    li.append(
      el('strong', {}, p.name),
      ` ${p.method}, timeout ${p.timeoutS} s, ${p.concurrency} at a time${p.pointOfNoReturn ? ' · point of no return' : ''}: `,
    );
    li.append(
      ...p.targets.map((t) =>
        el(
          'span',
          {
            class: `target ${t.power ?? ''}`,
            'data-target': t.name,
            title: t.estimate ? `p90 ${secs(t.estimate.p90S)} (${t.estimate.source})` : '',
          },
          t.name,
        ),
      ),
    );
    ol.append(li);
  }
  const fin = el('li', { 'data-phase': '(final)' }, el('strong', {}, 'final'));
  if (data.plan.loadOff)
    fin.append(
      ` UPS ${data.plan.loadOff.ups} load-off (off ${data.plan.loadOff.offDelayS} s, on ${data.plan.loadOff.onDelayS} s), then `,
    );
  fin.append(
    ...data.plan.finalHosts.map((t) => el('span', { class: `target ${t.power ?? ''}`, 'data-target': t.name }, t.name)),
  );
  ol.append(fin);
  planEl.append(ol);
  for (const n of data.plan.notes) planEl.append(el('p', { class: 'muted small' }, n));
  // A driver that cannot be reached is a check result, not an invalid plan: the plan of the rest stands beside it.
  for (const u of data.unreachable ?? []) {
    planEl.append(
      el(
        'p',
        { class: 'problem small', 'data-unreachable': u.driver },
        `driver ${u.driver} is unreachable; its targets are not in the plan: ${u.error}`,
      ),
    );
  }
  if (data.jobs && data.jobs.length) {
    planEl.append(
      el(
        'p',
        { class: 'muted small' },
        `Jobs: ${data.jobs.map((j) => `${j.name} (${j.schedule}${j.lastError ? `, failed: ${j.lastError}` : ''})`).join(', ')}`,
      ),
    );
  }
  clusterEl.replaceChildren(
    ...data.cluster.map((n) =>
      el(
        'span',
        { class: `target ${n.power}`, 'data-node': n.name, title: n.host ? `on ${n.host}` : 'host' },
        `${n.name} ${n.power}`,
      ),
    ),
  );
  renderDrivers(data.drivers ?? []);
}

// Per driver, what its last check found: its own credentials and reachability, and each target's power and tools.
function renderDrivers(reports) {
  driversEl.replaceChildren(
    ...reports.map((r) =>
      el(
        'div',
        { class: 'driver', 'data-driver': r.driver, 'data-ok': String(r.ok) },
        el(
          'p',
          { class: 'small' },
          el('strong', {}, r.driver),
          ' ',
          el('span', { class: `badge ${r.ok ? 'ok' : 'bad'}` }, r.ok ? 'check ok' : 'check failed'),
          ` · ${r.targets.length} targets · checked ${new Date(r.checkedAt).toLocaleTimeString()}`,
        ),
        ...r.checks
          .filter((c) => !c.ok)
          .map((c) => el('p', { class: 'problem small' }, `${c.target ? `${c.target}: ` : ''}${c.message}`)),
        el(
          'div',
          { class: 'cluster' },
          ...r.targets.map((t) =>
            el(
              'span',
              { class: `target ${t.power}`, 'data-target': t.name, title: `${t.kind}${t.host ? ` on ${t.host}` : ''}` },
              `${t.name} ${t.power}${t.tools === 'not-running' ? ' · no tools' : t.tools === 'running' ? ' · tools' : ''}`,
            ),
          ),
        ),
      ),
    ),
  );
}

function stepRow(s) {
  return el(
    'tr',
    { class: s.result ?? 'pending' },
    ...[s.phase, s.target, s.action, s.result ?? '…', s.durationMs ?? '', s.error ?? s.detail ?? ''].map((c) =>
      el('td', {}, c),
    ),
  );
}

async function refreshRuns() {
  const res = await fetch('/api/runs?limit=10');
  if (!res.ok) return;
  const data = await res.json();
  runsEl.replaceChildren();
  for (const r of data.runs) {
    const li = el('li', { 'data-run': r.id, 'data-status': r.status, 'data-mode': r.mode });
    const head = el(
      'button',
      { type: 'button', class: 'link' },
      `#${r.id} ${r.mode} ${r.status} · ${new Date(r.startedAt).toLocaleTimeString()} · ${r.reason}`,
    );
    head.addEventListener('click', () => {
      openRun = openRun === r.id ? null : r.id;
      void refreshRuns();
    });
    li.append(head);
    if (r.summary) li.append(el('div', { class: 'muted small' }, r.summary));
    if (openRun === r.id) {
      const d = await (await fetch(`/api/runs/${r.id}`)).json();
      const table = el(
        'table',
        { class: 'steps' },
        el('tr', {}, ...['phase', 'target', 'action', 'result', 'ms', 'detail'].map((h) => el('th', {}, h))),
      );
      for (const s of d.steps) table.append(stepRow(s));
      li.append(table);
    }
    runsEl.append(li);
  }
}

async function refresh() {
  try {
    const res = await fetch('/api/plan');
    if (res.ok) renderPlan(await res.json());
    await refreshRuns();
  } catch {
    // The status part of the page shows the connection state; try again on the next tick.
  }
}

testForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const mode = testForm.elements.mode.value;
  const body = { mode };
  if (mode === 'real') {
    const typed = window.prompt(`A real test shuts targets down. Type the plan's name (${planName}) to confirm:`);
    if (typed === null) return;
    body.confirm = typed;
  }
  const subset = testForm.elements.subset.value.split(/[\s,]+/).filter(Boolean);
  if (subset.length) body.subset = subset;
  const res = await fetch('/api/shutdown/test', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await res.json();
  testResult.textContent = res.ok ? `run #${data.runId} started (${mode})` : data.message;
  openRun = res.ok ? data.runId : openRun;
  await refresh();
});

void refresh();
setInterval(() => void refresh(), 2000);
