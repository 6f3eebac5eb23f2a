// One line on the overview while a restore is under way or has ended, linking to its view. Logged out (public
// status), there is nothing to ask: the restore needs a viewer.
import { me } from '../api.js';
import { html } from '../html.js';
import { RESTORE_TONE, RESTORE_WORDS, useRestore } from '../components/restore-state.js';

function Line() {
  const { data } = useRestore();
  if (!data || data.state === 'none' || data.state === 'disabled') return null;
  return html`<p class="restore-line" data-testid="restore-line" data-state=${data.state}>
    <span class=${`badge ${RESTORE_TONE[data.state]}`}>Restore: ${RESTORE_WORDS[data.state]}</span>
    ${' '}${data.asBefore} · <a href="#/restore">see the restore</a>
  </p>`;
}

export function RestoreLine() {
  return me() ? html`<${Line} />` : null;
}
